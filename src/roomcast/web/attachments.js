// The files a line carries (its Chat frame's Attachments): images as an inline preview of their
// thumbnail, sized before it loads (no jump of the log), which opens the full image in a
// lightbox (Enter or a click; a middle click opens it in a new tab); other files as chips with
// their name, size and a download link. Names are shown as text, and only URLs of this server
// are used.

import { $ } from "./dom.js";
import { humanSize } from "./format.js";

const ui = {
  lightbox: $("lightbox"),
  image: $("lightbox-image"),
  caption: $("lightbox-caption"),
  open: $("lightbox-open"),
};

/** The largest preview, in CSS pixels (the server's thumbnails are at most 400 px). */
const PREVIEW_MAX = 320;
/** The preview's size: the image's own, scaled down to fit PREVIEW_MAX. */
function previewSize(file) {
  const scale = Math.min(1, PREVIEW_MAX / Math.max(file.width, file.height));
  const scaled = (side) => Math.max(1, Math.round(side * scale));
  return [scaled(file.width), scaled(file.height)];
}

function imageLink(file) {
  const link = document.createElement("a");
  link.className = "attachment-image";
  link.href = file.url;
  link.target = "_blank";
  link.rel = "noopener";
  link.dataset.full = file.url;
  link.dataset.name = file.name;
  link.setAttribute("aria-label", `${file.name} (image, ${humanSize(file.size)}): open it`);
  const image = document.createElement("img");
  const [width, height] = previewSize(file);
  image.width = width;
  image.height = height;
  image.alt = file.name;
  image.loading = "lazy";
  image.decoding = "async";
  image.src = file.thumb;
  link.append(image);
  return link;
}

function fileChip(file) {
  const link = document.createElement("a");
  link.className = "attachment-file";
  link.href = file.url;
  link.download = file.name;
  link.rel = "noopener";
  const icon = document.createElement("span");
  icon.className = "attachment-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "⤓";
  const name = document.createElement("bdi");
  name.className = "attachment-name";
  name.textContent = file.name;
  const size = document.createElement("span");
  size.className = "attachment-size";
  size.textContent = humanSize(file.size);
  link.append(icon, name, " ", size);
  link.title = `Download ${file.name}`;
  return link;
}

/** Show `entry.attachments` in the line's body (after its text), or nothing. */
export function fillAttachments(body, entry) {
  let row = body.querySelector(".attachments");
  const files = entry.attachments ?? [];
  if (files.length === 0) {
    row?.remove();
    return;
  }
  if (row) return; // a line's files never change
  row = document.createElement("div");
  row.className = "attachments";
  for (const file of files) {
    const image = file.thumb && file.width && file.height;
    row.append(image ? imageLink(file) : fileChip(file));
  }
  const after = body.querySelector(".reactions, .thread-summary");
  if (after) after.before(row);
  else body.append(row);
}

// -- the lightbox ------------------------------------------------------------------------------

/** The element that had the focus when the lightbox opened (it gets it back). */
let opener = null;

function openLightbox(link) {
  opener = link;
  ui.image.src = link.dataset.full;
  ui.image.alt = link.dataset.name;
  ui.caption.textContent = link.dataset.name;
  ui.open.href = link.dataset.full;
  ui.lightbox.showModal();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a.attachment-image");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  openLightbox(link);
});
ui.lightbox.addEventListener("click", (event) => {
  if (event.target === ui.lightbox || event.target === ui.image) ui.lightbox.close();
});
ui.lightbox.addEventListener("close", () => {
  ui.image.removeAttribute("src");
  if (opener?.isConnected) opener.focus();
  opener = null;
});
