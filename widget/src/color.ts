/** sRGB channel to linear light (WCAG 2.x relative luminance). */
const linear = (c: number) => {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** Parses #rgb or #rrggbb; undefined for anything else. */
export function parseHex(color: string): [number, number, number] | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m?.[1]) return undefined;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

export function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrastRatio(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

export const LIGHT_TEXT = '#ffffff';
export const DARK_TEXT = '#000000';

/** The text colour (white or black) with the higher WCAG contrast on `background`. */
export function textOn(background: string): string {
  const rgb = parseHex(background);
  if (!rgb) return LIGHT_TEXT;
  const l = luminance(rgb);
  const dark = 0;
  return contrastRatio(l, 1) >= contrastRatio(l, dark) ? LIGHT_TEXT : DARK_TEXT;
}
