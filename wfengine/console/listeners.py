"""``/console/listeners``: standing webhooks and their delivery log."""
from wfengine.console import conditional
from wfengine.console import masking
from wfengine.console import web

LOG_SIZE = 100


@web.route("GET", "/listeners")
def listeners_page(page):
    """Every listener."""
    body = page.api.get("/listeners", {"sort_keys": "created_at"}).data
    return page.render("listeners.html", listeners=body["listeners"],
                       title="Listeners")


def _log(page, listener_id, held):
    reads = conditional.Reads(page.api, held, [
        ("/listeners/%s" % listener_id, None),
        ("/listeners/%s/deliveries" % listener_id, {"limit": LOG_SIZE})])
    if reads.unchanged():
        return None, reads.tag
    listener, log = reads.data
    # An error message may quote the URL, token and all.
    masker = masking.Masker(masking.url_secrets(listener.get("url")))
    deliveries = [dict(d, last_error=masker.text(d.get("last_error")))
                  for d in log["deliveries"]]
    counts = {}
    for delivery in deliveries:
        counts[delivery["state"]] = counts.get(delivery["state"], 0) + 1
    title = "Listener %s" % (listener.get("description") or
                             listener["id"][:8])
    if counts.get("FAILED"):
        title = "(%d failed) %s" % (counts["FAILED"], title)
    return {"listener": listener, "deliveries": deliveries,
            "counts": counts, "title": title,
            "more": len(deliveries) == LOG_SIZE}, reads.tag


@web.route("GET", "/listeners/{listener_id}")
def listener_page(page, listener_id):
    """A listener and its newest deliveries."""
    values, tag = _log(page, listener_id, None)
    return page.render("listener.html", part_tag=tag, **values)


@web.route("GET", "/listeners/{listener_id}/log")
def log(page, listener_id):
    """The delivery log alone (polled; 304 when nothing changed)."""
    values, tag = _log(page, listener_id, page.if_none_match())
    if values is None:
        return page.not_modified(tag)
    return page.render("_deliveries.html", etag=tag, part_tag=tag, **values)


@web.route("POST", "/listeners/{listener_id}/deliveries/{delivery_id}")
def redeliver(page, listener_id, delivery_id):
    """Send a failed delivery again (``PUT .../deliveries/<id>``)."""
    delivery = page.api.put("/listeners/%s/deliveries/%s"
                            % (listener_id, delivery_id),
                            {"state": "PENDING"})
    return page.flash("Delivery of %s queued again: %s" % (
        delivery["event"], delivery["state"]), ok=True,
        trigger=web.DONE_EVENT)
