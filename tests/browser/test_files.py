"""Files in the browser: uploading with the attach button, by pasting and by dropping, progress
and cancelling, refusals shown per file, and the lines that carry them: image previews sized
before they load, a lightbox, file chips whose names are text."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat

pytestmark = pytest.mark.browser

XSS_NAME = '<img src=x onerror="window.pwned=1">.txt'


def png(width: int, height: int) -> bytes:
    """A valid PNG of one colour (8-bit RGB), without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x30\x90\xd0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def tray(chat: ChatPage) -> Locator:
    return chat.page.locator("#uploads .upload")


def attach(chat: ChatPage, *paths: Path) -> None:
    """Pick files with the attach button, as a person does."""
    with chat.page.expect_file_chooser() as chooser:
        chat.page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files([str(path) for path in paths])


def throttle_uploads(chat: ChatPage, bytes_per_second: int) -> None:
    """Slow the page's uploads down, so their progress can be seen (and cancelled)."""
    cdp = chat.page.context.new_cdp_session(chat.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def file_of(name: str, kind: str, content: bytes) -> dict[str, str]:
    return {"name": name, "type": kind, "b64": base64.b64encode(content).decode()}


def give_files(chat: ChatPage, event: str, target: str, files: list[dict[str, str]]) -> None:
    """Dispatch a paste, or a drag ending in ``event``, on ``target``, carrying ``files``."""
    chat.page.evaluate(
        """([event, target, files]) => {
            const data = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
                data.items.add(new File([bytes], f.name, { type: f.type }));
            }
            const element = document.querySelector(target);
            const init = { bubbles: true, cancelable: true };
            if (event === "paste") {
                const paste = new ClipboardEvent("paste", { ...init, clipboardData: data });
                element.dispatchEvent(paste);
            } else {
                for (const type of ["dragenter", "dragover", event]) {
                    element.dispatchEvent(new DragEvent(type, { ...init, dataTransfer: data }));
                }
            }
        }""",
        [event, target, files],
    )


def test_an_image_uploaded_with_the_button_shows_its_preview_and_opens_full_size(
    server: ServerProcess, open_chat: OpenChat, tmp_path: Path
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    picture = tmp_path / "holiday.png"
    picture.write_bytes(png(800, 600))
    throttle_uploads(alice, 400_000)
    # A big one first, to see its progress bar before it completes.
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(1_500_000))
    attach(alice, big)
    chip = tray(alice).first
    expect(chip).to_have_attribute("data-status", "uploading")
    progress = chip.locator("progress")
    expect(progress).to_be_visible()
    alice.page.wait_for_function(
        "() => { const p = document.querySelector('#uploads progress'); return p && p.value > 0; }"
    )
    expect(chip).to_have_attribute("data-status", "done", timeout=30_000)
    expect(progress).to_be_hidden()
    chip.get_by_role("button", name="Remove big.bin").click()
    expect(tray(alice)).to_have_count(0)

    attach(alice, picture)
    expect(tray(alice).first).to_have_attribute("data-status", "done")
    expect(tray(alice).first.locator(".upload-name")).to_have_text("holiday.png")
    alice.say("from the beach")
    expect(tray(alice)).to_have_count(0)

    for chat in (alice, bob):
        line = chat.messages.last
        expect(line.locator(".text")).to_have_text("from the beach")
        image = line.locator(".attachment-image img")
        # The size is known before the thumbnail loads: nothing moves when it does.
        expect(image).to_have_attribute("width", "320")
        expect(image).to_have_attribute("height", "240")
        expect(image).to_have_attribute("src", re.compile(r"/api/thumbs/"))
        chat.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    link = bob.messages.last.locator(".attachment-image")
    link.focus()
    bob.page.keyboard.press("Enter")
    lightbox = bob.page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    full = lightbox.locator("img")
    expect(full).to_have_attribute("src", re.compile(r"/api/files/"))
    bob.page.wait_for_function("img => img.naturalWidth === 800", arg=full.element_handle())
    expect(lightbox.locator("figcaption")).to_have_text("holiday.png")
    bob.page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(link).to_be_focused()

    # A search result names the files of its line.
    bob.page.keyboard.press("Control+k")
    bob.page.locator("#search-input").fill("beach")
    expect(bob.page.locator("#search-results .search-files")).to_have_text("holiday.png")


def test_a_pasted_image_and_a_dropped_file_are_uploaded_and_sent_as_files_only(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    pasted = file_of("image.png", "image/png", png(40, 30))
    give_files(alice, "paste", "#composer-input", [pasted])
    expect(tray(alice)).to_have_count(1)
    expect(tray(alice).first).to_have_attribute("data-status", "done")

    alice.page.evaluate(
        """() => document.getElementById("chat").dispatchEvent(new DragEvent("dragenter", {
            bubbles: true, dataTransfer: (() => { const d = new DataTransfer();
            d.items.add(new File(["x"], "x.txt")); return d; })() }))"""
    )
    expect(alice.page.locator("#chat")).to_have_class(re.compile(r"\bdropping\b"))
    give_files(alice, "drop", "#chat", [file_of("notes.txt", "text/plain", b"n" * 2048)])
    expect(alice.page.locator("#chat")).not_to_have_class(re.compile(r"\bdropping\b"))
    expect(tray(alice)).to_have_count(2)
    expect(tray(alice).nth(1)).to_have_attribute("data-status", "done")

    # Enter in the empty box sends the files alone.
    alice.page.locator("#composer-input").press("Enter")
    expect(alice.view.locator("li.pending")).to_have_count(0)
    line = alice.messages.last
    expect(line.locator(".text")).to_have_text("")
    image = line.locator(".attachment-image img")
    expect(image).to_have_attribute("width", "40")
    expect(image).to_have_attribute("height", "30")
    expect(image).to_have_attribute("alt", "image.png")
    chip = line.locator(".attachment-file")
    expect(chip.locator(".attachment-name")).to_have_text("notes.txt")
    expect(chip.locator(".attachment-size")).to_have_text("2.0 KB")
    expect(chip).to_have_attribute("href", re.compile(r"/api/files/"))
    expect(chip).to_have_attribute("download", "notes.txt")


def test_a_file_name_with_markup_is_shown_as_text(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    give_files(alice, "paste", "#composer-input", [file_of(XSS_NAME, "text/html", b"<b>hi</b>")])
    expect(tray(alice).first).to_have_attribute("data-status", "done")
    expect(tray(alice).first.locator(".upload-name")).to_have_text(XSS_NAME)
    alice.say("look")
    for chat in (alice, bob):
        chip = chat.messages.last.locator(".attachment-file")
        expect(chip.locator(".attachment-name")).to_have_text(XSS_NAME)
        expect(chat.messages.last.locator("img")).to_have_count(0)
        assert chat.page.evaluate("window.pwned") is None


def test_an_upload_can_be_cancelled_and_an_over_limit_file_says_why(
    server_factory: Any, open_chat: OpenChat, tmp_path: Path
) -> None:
    server = server_factory(
        "--userlist-interval", "0.02", env={"ROOMCAST_MAX_UPLOAD_BYTES": "200000"}
    )
    alice = open_chat(server, "lobby", nick="alice")
    too_big = tmp_path / "too-big.bin"
    too_big.write_bytes(bytes(300_000))
    attach(alice, too_big)
    chip = tray(alice).first
    expect(chip).to_have_attribute("data-status", "failed")
    expect(chip.locator(".upload-error")).to_contain_text("Too large")
    expect(chip.locator(".upload-error")).to_have_attribute("role", "alert")
    # A failed file is not sent: the line goes without it.
    alice.say("just text")
    expect(alice.messages.last.locator(".attachments")).to_have_count(0)
    chip.get_by_role("button", name="Remove too-big.bin").click()
    expect(tray(alice)).to_have_count(0)

    throttle_uploads(alice, 20_000)
    slow = tmp_path / "slow.bin"
    slow.write_bytes(bytes(150_000))
    attach(alice, slow)
    chip = tray(alice).first
    expect(chip).to_have_attribute("data-status", "uploading")
    # While it uploads, the line waits (and says why).
    alice.type_line("wait for it")
    expect(alice.alert).to_contain_text("Wait for the files")
    expect(alice.page.locator("#composer-input")).to_have_value("wait for it")
    chip.get_by_role("button", name="Cancel the upload of slow.bin").click()
    expect(tray(alice)).to_have_count(0)
    alice.page.locator("#composer-input").press("Enter")
    expect(alice.texts.last).to_have_text("wait for it")
    expect(alice.messages.last.locator(".attachments")).to_have_count(0)
