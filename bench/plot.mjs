// Time against N on log-log axes, as an SVG a browser or GitHub shows as it is.
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function plot(rows, columns) {
  const W = 760;
  const H = 460;
  const M = { left: 70, right: 250, top: 30, bottom: 50 };
  const ns = rows.map((r) => r.n);
  const times = rows.flatMap((r) => columns.map(([k]) => r[k]?.seconds).filter((t) => t > 0));
  const [x0, x1] = [Math.log10(Math.min(...ns)), Math.log10(Math.max(...ns))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...times))), Math.ceil(Math.log10(Math.max(...times)))];
  const x = (n) => M.left + ((Math.log10(n) - x0) / Math.max(x1 - x0, 1)) * (W - M.left - M.right);
  const y = (t) => H - M.bottom - ((Math.log10(t) - y0) / Math.max(y1 - y0, 1)) * (H - M.top - M.bottom);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  for (let p = y0; p <= y1; p++) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(10 ** p)}" y2="${y(10 ** p)}" stroke="#ddd"/>`, `<text x="${M.left - 8}" y="${y(10 ** p) + 4}" text-anchor="end">${10 ** p >= 1 ? 10 ** p : (10 ** p).toFixed(-p)} s</text>`);
  }
  for (const n of ns) out.push(`<text x="${x(n)}" y="${H - M.bottom + 18}" text-anchor="middle">${n.toLocaleString('en')}</text>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">fragments (N, log scale)</text>`);
  columns.forEach(([k, title], i) => {
    const points = rows.filter((r) => r[k]?.seconds > 0).map((r) => `${x(r.n).toFixed(1)},${y(r[k].seconds).toFixed(1)}`);
    if (points.length === 0) return;
    out.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const p of points) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<rect x="${W - M.right + 15}" y="${M.top + i * 22 - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${W - M.right + 33}" y="${M.top + i * 22 + 1}">${title.replace(/`/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
