// Following a job (an export, a snapshot): its status polled until it ends, shown as a
// progress bar with its rows ("12,000 of 40,000 rows written") for the organiser.
import { getJob } from "./api.js";
import { el } from "./dom.js";

const POLL_MS = 1000;
const PHASE = { reading: "reading the signatures", writing: "writing the file", uploading: "uploading the file", done: "done" };
const n = (x) => Number(x || 0).toLocaleString("en");
const READS_ONLY = new Set(["recount", "update_reach"]); // their progress: what they have read

/** How far the job is, in the rows its bar counts (tools/job_wait.py likewise): what it has
 * read, for a job that only reads; else half for reading its rows and half for writing them
 * (a large letter's parts read for minutes before the first row is written). */
export function doneRows(job) {
  if (READS_ONLY.has(job.kind)) return job.rows_read || 0;
  if (!job.rows_total) return job.rows_written || 0;
  return Math.round((Math.min(job.rows_read || 0, job.rows_total) + (job.rows_written || 0)) / 2);
}

/** What the job has done, in words. */
export function progressText(job) {
  if (job.state === "queued") return "Waiting for a worker…";
  const of = job.rows_total != null ? ` of ${n(job.rows_total)}` : "";
  const rows = READS_ONLY.has(job.kind) ? `${n(job.rows_read)}${of} signatures read`
    : `${n(job.rows_written)}${of} rows written${job.rows_read ? `, ${n(job.rows_read)} read` : ""}`;
  const parts = job.parts > 1 ? `; ${job.parts_done} of ${job.parts} parts done` : "";
  return `${PHASE[job.phase] ? `${PHASE[job.phase][0].toUpperCase()}${PHASE[job.phase].slice(1)}: ` : ""}${rows}${parts}`;
}

/** A progress bar and its text for one job; `update(job)` redraws both. */
export function progressView(label) {
  const bar = el("progress", { max: 1 });
  bar.setAttribute("aria-label", label);
  const text = el("span", { className: "hint" });
  const node = el("div", { className: "job-progress" }, bar, " ", text);
  return {
    node,
    update(job) {
      if (job.rows_total) {
        bar.max = job.rows_total;
        bar.value = Math.min(doneRows(job), job.rows_total);
      } else if (job.state === "complete") {
        bar.value = bar.max;
      } else {
        bar.removeAttribute("value"); // indeterminate: no total to measure against
      }
      text.textContent = ` ${progressText(job)}`;
    },
  };
}

/** Poll the job until it is complete (its final state) or failed (thrown); `get(id)` reads
 * it (default: the letter's job route; a partner's export has its own). */
export async function follow(slug, job, onUpdate = () => {}, { poll = POLL_MS, get = (id) => getJob(slug, id) } = {}) {
  onUpdate(job);
  while (job.state !== "complete" && job.state !== "failed") {
    await new Promise((resolve) => setTimeout(resolve, poll));
    job = await get(job.id);
    onUpdate(job);
  }
  if (job.state === "failed") throw new Error(`The job stopped without finishing${job.error ? ` (${job.error})` : ""}. Try again.`);
  return job;
}
