"""The reach count and the fan-out of an update: job kinds (jobs/work.py) split over shard
ranges like the recount, each part reading its shards' signatures a page at a time
(audience.reached), so memory stays flat at any size.

The reach part counts; the send part queues one message per MESSAGE_SIGS signatures, ten
messages a request. A part run again (a retry, a crashed worker) queues again only the
signatures not mailed yet (the shard Query leaves out `update_sent >= seq`), and the mailer
mails each signature once per update whatever the queue holds twice.
"""
from __future__ import annotations

from typing import Any

from . import audience
from .mail_queue import BATCH_MESSAGES, MESSAGE_SIGS


def _seq(ctx: Any) -> int:
    return int(ctx.params["update"])


def reach_part(ctx: Any, shards: range) -> dict:
    n = 0
    for page in audience.reached(ctx.services.store, ctx.slug, shards, _seq(ctx), ctx.progress):
        n += len(page)
        ctx.progress.wrote(len(page))
    return {"reach": n}


def reach_combine(ctx: Any, parts: list[dict]) -> dict:
    reach = sum(p.get("reach", 0) for p in parts)
    ctx.services.updates.reach_counted(ctx.slug, _seq(ctx), reach)
    return {"update": _seq(ctx), "reach": reach}


def send_part(ctx: Any, shards: range) -> dict:
    queue, seq = ctx.services.update_queue, _seq(ctx)
    waiting: list[dict] = []
    ids: list[str] = []
    queued = 0

    def flush(ids: list[str], final: bool) -> None:
        while len(ids) >= MESSAGE_SIGS or (final and ids):
            waiting.append({"slug": ctx.slug, "update": seq, "sigs": ids[:MESSAGE_SIGS]})
            del ids[:MESSAGE_SIGS]
        if len(waiting) >= BATCH_MESSAGES or (final and waiting):
            queue.send_batch(waiting)
            ctx.progress.wrote(sum(len(m["sigs"]) for m in waiting))
            waiting.clear()

    for page in audience.reached(ctx.services.store, ctx.slug, shards, seq, ctx.progress):
        ids += [s["sig_id"] for s in page]
        queued += len(page)
        flush(ids, False)
    flush(ids, True)
    return {"queued": queued}


def send_combine(ctx: Any, parts: list[dict]) -> dict:
    queued = sum(p.get("queued", 0) for p in parts)
    ctx.services.updates.fanout_done(ctx.slug, _seq(ctx), queued)
    return {"update": _seq(ctx), "queued": queued}
