/** A hand-written SVG chart: panels of stacked bars, one bar per item, with reference lines. No dependency. */

export interface BarPanel {
  title: string;
  /** One bar per item; each bar is stacked from its segments (bottom first). Undefined: no data (a failure). */
  bars: (number[] | undefined)[];
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  segmentLabels: string[];
  colors: string[];
  /** Horizontal lines across every panel, e.g. { value: 2000, label: '2 s' }. */
  references?: { value: number; label: string }[];
  xLabel?: string;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw);
  return step ?? 10 * magnitude;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  return value >= 1000 ? `${value / 1000} s` : `${value} ms`;
}

export function stackedBarChart(panels: BarPanel[], options: BarChartOptions): string {
  const width = 900;
  const panelHeight = 230;
  const left = 70;
  const right = 20;
  const top = 56;
  const gap = 60;
  const height = top + panels.length * (panelHeight + gap) + 10;
  const totals = panels.flatMap((panel) =>
    panel.bars.map((bar) => (bar ?? []).reduce((sum, value) => sum + value, 0)),
  );
  const refs = options.references ?? [];
  const maxValue = Math.max(1, ...totals, ...refs.map((ref) => ref.value * 1.05));
  const step = niceStep(maxValue, 5);
  const yMax = Math.ceil(maxValue / step) * step;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  options.segmentLabels.forEach((label, index) => {
    const x = left + index * 300;
    out.push(
      `<rect x="${x}" y="30" width="12" height="12" fill="${options.colors[index]}"/>`,
      `<text x="${x + 17}" y="40">${escapeXml(label)}</text>`,
    );
  });
  panels.forEach((panel, panelIndex) => {
    const y0 = top + panelIndex * (panelHeight + gap) + 18;
    const plotWidth = width - left - right;
    const y = (value: number) => y0 + panelHeight - (value / yMax) * panelHeight;
    out.push(
      `<text x="${left}" y="${y0 - 6}" font-weight="bold" font-size="12">${escapeXml(panel.title)}</text>`,
    );
    for (let tick = 0; tick <= yMax; tick += step) {
      out.push(
        `<line x1="${left}" x2="${width - right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`,
        `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${formatTick(tick)}</text>`,
      );
    }
    const slot = plotWidth / Math.max(1, panel.bars.length);
    panel.bars.forEach((bar, index) => {
      const x = left + index * slot + slot * 0.15;
      const barWidth = slot * 0.7;
      if (!bar) {
        out.push(`<text x="${x + barWidth / 2}" y="${y(0) - 4}" text-anchor="middle" fill="#c00">×</text>`);
        return;
      }
      let base = 0;
      bar.forEach((value, segment) => {
        const clipped = Math.max(0, value);
        out.push(
          `<rect x="${x.toFixed(1)}" y="${y(base + clipped).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(
            (clipped / yMax) * panelHeight
          ).toFixed(
            1,
          )}" fill="${options.colors[segment]}"><title>#${index + 1}: ${formatTick(Math.round(base + clipped))}</title></rect>`,
        );
        base += clipped;
      });
      if (panel.bars.length <= 60 && (index + 1) % 5 === 0)
        out.push(
          `<text x="${x + barWidth / 2}" y="${y0 + panelHeight + 13}" text-anchor="middle">${index + 1}</text>`,
        );
    });
    for (const ref of refs) {
      if (ref.value > yMax) continue;
      out.push(
        `<line x1="${left}" x2="${width - right}" y1="${y(ref.value)}" y2="${y(ref.value)}" stroke="#c00" stroke-dasharray="5,4"/>`,
        `<text x="${width - right - 2}" y="${y(ref.value) - 4}" text-anchor="end" fill="#c00">${escapeXml(ref.label)}</text>`,
      );
    }
    out.push(
      `<line x1="${left}" x2="${left}" y1="${y0}" y2="${y0 + panelHeight}" stroke="#333"/>`,
      `<line x1="${left}" x2="${width - right}" y1="${y0 + panelHeight}" y2="${y0 + panelHeight}" stroke="#333"/>`,
    );
    if (options.xLabel)
      out.push(
        `<text x="${left + plotWidth / 2}" y="${y0 + panelHeight + 28}" text-anchor="middle" fill="#555">${escapeXml(options.xLabel)}</text>`,
      );
  });
  out.push(
    `<text x="14" y="${top + (panels.length * (panelHeight + gap)) / 2}" transform="rotate(-90 14 ${top + (panels.length * (panelHeight + gap)) / 2})" text-anchor="middle" fill="#555">${escapeXml(options.yLabel)}</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
