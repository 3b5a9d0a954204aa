// A computed-contrast walk over the page (WCAG 2 AA, success criterion 1.4.3): every visible
// element with text of its own, its text colour against the background it is drawn on (the
// backgrounds of its ancestors blended, opacity included). Returns the failures.
() => {
  const parse = (value) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  /** The background `element` is drawn on: its ancestors' backgrounds, bottom first. */
  const background = (element) => {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) layers.push(colour);
      if (colour && colour[3] === 1) break;
      if (node.matches("dialog[open], [popover]")) break;
    }
    let result = [255, 255, 255, 1];
    if (layers.length && layers.at(-1)[3] < 1) {
      result = parse(getComputedStyle(document.documentElement).backgroundColor) ?? result;
      if (result[3] < 1) result = [255, 255, 255, 1];
    }
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const opacity = (element) => {
    let value = 1;
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      value *= Number(getComputedStyle(node).opacity);
    }
    return value;
  };
  const failures = [];
  for (const element of document.querySelectorAll("body *")) {
    const own = [...element.childNodes].some(
      (node) => node.nodeType === 3 && node.textContent.trim(),
    );
    if (!own || element.closest("script, style, svg, .visually-hidden")) continue;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (box.width < 1 || box.height < 1 || style.visibility === "hidden") continue;
    if (!element.checkVisibility({ opacityProperty: false, visibilityProperty: true })) continue;
    if (element.closest("[hidden], [inert]")) continue;
    const text = parse(style.color);
    const bg = background(element);
    const fg = over([...text.slice(0, 3), text[3] * opacity(element)], bg);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const needed = large ? 3 : 4.5;
    const got = ratio(fg, bg);
    if (got < needed) {
      failures.push({
        text: element.textContent.trim().slice(0, 40),
        where: `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""}.${[...element.classList].join(".")}`,
        ratio: Math.round(got * 100) / 100,
        needed,
        colour: style.color,
        background: `rgb(${bg.slice(0, 3).map(Math.round).join(", ")})`,
      });
    }
  }
  return failures;
}
