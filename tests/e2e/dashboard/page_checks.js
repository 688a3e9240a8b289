// Accessibility checks run inside the page: text contrast (WCAG AA) and names of interactive controls.
(() => {
  const parse = (value) => {
    const match = /rgba?\(([^)]+)\)/.exec(value || '');
    if (!match) return null;
    const [r, g, b, a = 1] = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const channel = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const over = (top, base) => ({ r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a),
    b: top.b * top.a + base.b * (1 - top.a), a: 1 });
  const canvas = () => parse(getComputedStyle(document.documentElement).backgroundColor)
    || parse(getComputedStyle(document.body).backgroundColor);

  function background(element) {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    const page = canvas();
    if (page && page.a > 0) result = over(page, result);
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  }

  function contrastFailures() {
    const failures = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.textContent.trim();
      const element = walker.currentNode.parentElement;
      if (!text || !element || !element.checkVisibility({ visibilityProperty: true })) continue;
      if (element.closest('.visually-hidden, button:disabled, [aria-disabled="true"], option, title')) continue;
      const style = getComputedStyle(element);
      const ink = parse(element instanceof SVGElement ? style.fill : style.color);
      if (!ink) continue;
      const base = background(element instanceof SVGElement ? element.closest('figure') || element : element);
      const fg = over(ink, base);
      const [hi, lo] = [luminance(fg), luminance(base)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) failures.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100,
        color: style.color, fill: style.fill, cls: element.getAttribute('class') });
    }
    return failures;
  }

  function accessibleName(element) {
    const labelled = element.getAttribute('aria-labelledby');
    if (labelled) return labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
    if (element.getAttribute('aria-label')) return element.getAttribute('aria-label').trim();
    if (element.labels && element.labels.length) return [...element.labels].map((l) => l.textContent).join(' ').trim();
    return (element.textContent || '').trim();
  }

  function unnamedControls() {
    return [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
      .filter((e) => e.checkVisibility() && !accessibleName(e))
      .map((e) => e.outerHTML.slice(0, 120));
  }

  return { contrastFailures: contrastFailures(), unnamedControls: unnamedControls() };
})()
