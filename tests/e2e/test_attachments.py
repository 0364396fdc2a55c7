"""Images in the editor: pasted and dropped files become Markdown at the cursor, are reviewed on
the proposal page, and readers see them once the proposal is published."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable

from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, screenshot, sign_in
from tests.e2e.test_pages_flow import ask_for_review

GUIDE = "# Deploy guide\n\nRun the pipeline, then check the dashboard.\n"

#: Put files on a DataTransfer and fire ``kind`` ("paste" or "drop") at the editor's text.
_FIRE = """([kind, files]) => {
  const transfer = new DataTransfer();
  for (const [name, type, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  const text = document.querySelector("textarea[name=body]");
  text.focus();
  if (kind === "paste") {
    text.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
  } else {
    text.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    text.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}"""


def png(color: str, size: tuple[int, int] = (320, 180)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_paste_and_drop_insert_images_that_are_reviewed_then_shown_to_readers(
    open_page: Callable[[], Page],
    live_server: str,
    make_user: Callable[..., Person],
    make_page: Callable[..., str],
) -> None:
    alex = make_user("alex", name="Alex Rivera")
    omar = make_user("omar", name="Omar Haddad", department="Operations")
    slug = make_page(alex, "Deploy guide", GUIDE)
    page = open_page()
    sign_in(page, live_server, alex.username)
    page.goto(f"/wiki/{slug}/edit")
    body = page.locator("textarea[name=body]")
    expect(page.get_by_role("button", name="Add image or file")).to_be_visible()

    # A pasted screenshot (browsers name it image.png) goes in where the cursor is.
    body.evaluate("t => t.setSelectionRange(t.value.indexOf('Run'), t.value.indexOf('Run'))")
    page.evaluate(_FIRE, ["paste", [["image.png", "image/png", png("steelblue")]]])
    expect(page.locator("#upload-status")).to_contain_text("started your draft proposal")
    expect(body).to_have_value(
        re.compile(
            r"# Deploy guide\n\n!\[screenshot-[\d-]+\]\(/files/\d+/screenshot-[\d-]+\.png\)\n\nRun the pipeline"
        )
    )

    # A file dropped on the text lands at the end, where the cursor was put.
    body.evaluate("t => t.setSelectionRange(t.value.length, t.value.length)")
    page.evaluate(_FIRE, ["drop", [["dashboard.png", "image/png", png("seagreen")]]])
    expect(page.locator("#upload-status")).to_contain_text("Added dashboard.png to your proposal")
    expect(body).to_have_value(
        re.compile(r"check the dashboard\.\n\n!\[dashboard\]\(/files/\d+/dashboard\.png\)$")
    )
    preview = page.locator("#preview")
    expect(preview.locator("img")).to_have_count(2)
    screenshot(page, "attachments-editor-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "attachments-editor-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Save draft", exact=True).click()
    page.wait_for_url(re.compile(r"/proposals/\d+"))
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Deploy guide")
    proposal_url = page.url
    ask_for_review(page, omar)

    # Before publication nobody outside the review sees the files.
    reader = open_page()
    reader.goto(f"/wiki/{slug}")
    expect(reader.locator("article .prose img")).to_have_count(0)

    peer = open_page()
    sign_in(peer, live_server, omar.username)
    peer.goto(proposal_url)
    files = peer.locator("section.file-changes")
    expect(files.get_by_role("heading", name="Added (2)")).to_be_visible()
    expect(files).to_contain_text("dashboard.png")
    expect(files.locator("img")).to_have_count(2)  # thumbnails
    screenshot(peer, "attachments-proposal-1280")
    peer.set_viewport_size({"width": 390, "height": 844})
    screenshot(peer, "attachments-proposal-390")
    peer.set_viewport_size({"width": 1280, "height": 800})
    peer.get_by_label("Approve").check()
    peer.get_by_role("button", name="Submit review").click()
    expect(peer.get_by_text("Published: readers see the new version now.")).to_be_visible()

    reader.goto(f"/wiki/{slug}")
    images = reader.locator("article .prose img")
    expect(images).to_have_count(2)
    assert images.first.evaluate("img => img.complete && img.naturalWidth") == 320
    listed = reader.get_by_role("region", name="Attachments")
    expect(listed).to_contain_text("dashboard.png")
    expect(listed).to_contain_text("image/png")
    screenshot(reader, "attachments-page-1280")
    reader.set_viewport_size({"width": 390, "height": 844})
    screenshot(reader, "attachments-page-390")
    width = reader.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
