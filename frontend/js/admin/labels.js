// Words for the API's codes (English: the organisers' page is not translated).
export const STATE = {
  pending: "Pending (unconfirmed)",
  awaiting_approval: "Awaiting approval",
  listed: "Listed",
  quarantined: "Quarantined",
  hidden: "Hidden",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
};
export const KIND = { organisation: "Organisation", individual: "Individual" };
export const ACTION = { approve: "Approve", reject: "Reject", hide: "Hide", unhide: "Unhide", rename: "Rename" };
export const DONE = { approve: "Approved", reject: "Rejected", hide: "Hidden", unhide: "Unhidden", rename: "Renamed" };
// Which states each action applies to (as chalicelib/moderation.py ACTIONS).
export const APPLIES = {
  approve: ["awaiting_approval", "quarantined"],
  reject: ["pending", "awaiting_approval", "quarantined", "listed", "hidden"],
  hide: ["listed"],
  unhide: ["hidden"],
  rename: ["pending", "awaiting_approval", "quarantined", "listed", "hidden", "rejected"],
};
