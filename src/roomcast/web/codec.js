// The Message field of every frame: base64 of the UTF-8 bytes of the text.
//
// `btoa(text)` (what the tutorial page does) only accepts Latin-1 and throws on anything else,
// so text goes through TextEncoder first and bytes are turned into a binary string in chunks
// (String.fromCharCode with a spread argument list has a length limit).

const CHUNK = 0x8000;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** Base64 of the UTF-8 encoding of `text`. */
export function encodeText(text) {
  const bytes = encoder.encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** The text of a base64 Message field; invalid UTF-8 shows as U+FFFD, bad base64 as "". */
export function decodeText(b64) {
  let binary;
  try {
    binary = atob(b64 ?? "");
  } catch {
    return "";
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return decoder.decode(bytes);
}
