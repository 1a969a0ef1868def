// The report's inline stylesheet: readable type, responsive grids of small multiples, compact numeric
// tables, and the plot classes emitted by svg-plot.ts.
export const STYLE = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--accent:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 20px}
header{padding-top:20px}
h1{font-size:1.6rem;margin:0 0 .3rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
p{margin:.4rem 0 .8rem;max-width:80ch}
.sub,footer{color:var(--muted)}
footer{padding-bottom:30px;margin-top:2rem;font-size:.85rem}
nav ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;margin:.6rem 0}
a{color:var(--accent)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.4rem .7rem}
.scroll{overflow-x:auto;margin:.6rem 0 1rem}
table{border-collapse:collapse;font-size:.9rem}
caption{text-align:left;color:var(--muted);padding:.2rem 0;caption-side:top}
th,td{border-bottom:1px solid var(--line);padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:var(--soft);white-space:nowrap}
table.num td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.wrap-head thead th{white-space:normal;vertical-align:bottom}
td.best{font-weight:700}
td.flag{background:#fff8c5}
.flag{color:#9a6700}
td.key{font-weight:600}
th[scope=row]{font-weight:500;white-space:nowrap}
code.path{word-break:break-all}
.vs{color:var(--muted);font-weight:400}
details{margin:.3rem 0 1rem}
summary{cursor:pointer;color:var(--accent)}
svg.sw{width:26px;height:8px;margin-right:.35rem;vertical-align:middle}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;list-style:none;padding:0;margin:.4rem 0;font-size:.9rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:10px}
figure{margin:0}
.field-block{margin:.6rem 0 1rem}
.field-block>figcaption{font-weight:600;margin-bottom:.2rem}
.panel{border:1px solid var(--line);border-radius:6px;padding:4px;background:var(--bg)}
svg.plot{display:block;width:100%;height:auto;font-size:10px;fill:var(--fg)}
svg.plot path{fill:none;stroke-linejoin:round;stroke-linecap:round}
svg.plot .pt{font-size:11.5px;font-weight:600}
svg.plot .pf{fill:none;stroke:#8c959f;stroke-width:.8}
svg.plot .pg{stroke:#eaeef2;stroke-width:.8}
svg.plot .ref{stroke:#888;stroke-width:1;stroke-dasharray:3 3}
svg.plot .tl,svg.plot .nd{fill:var(--muted)}
svg.plot .al{fill:var(--muted);font-size:10.5px}
.anim{border:1px solid var(--line);border-radius:8px;padding:.4rem 1rem 1rem;margin:1rem 0}
.controls{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:.5rem 0}
.controls button{font:inherit;padding:.25rem .8rem;border:1px solid var(--line);border-radius:6px;background:var(--soft);cursor:pointer}
.controls button:focus-visible,.controls input:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.controls input[type=range]{width:min(320px,50vw);vertical-align:middle}
.controls output{font-variant-numeric:tabular-nums;color:var(--muted)}
.anim-fields{display:flex;flex-direction:column;gap:.8rem}
.anim-field figcaption{display:flex;align-items:center;gap:.6rem;margin-bottom:.2rem}
.anim-field canvas{display:block;max-width:100%;height:auto;image-rendering:pixelated}
.cbar{display:inline-flex;align-items:center;gap:.3rem;font-size:.8rem;color:var(--muted)}
.cbar .ramp{display:inline-block;width:110px;height:10px;border-radius:2px}
`;
