/** The widget's stylesheet, scoped to its shadow root. `:host { all: initial }` stops inherited host styles. */
export const CSS = `
:host{all:initial;position:fixed;z-index:2147483000;bottom:0;right:0;width:0;height:0}
*{box-sizing:border-box;margin:0;font:inherit;color:inherit}
.sb{--bg:#fff;--fg:#1b1c1f;--muted:#5c6066;--bubble:#f0f2f5;--line:#d9dce1;--pri:#0084ff;--on-pri:#fff;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
-webkit-font-smoothing:antialiased;text-align:left;letter-spacing:normal;text-transform:none}
@media (prefers-color-scheme:dark){.sb{--bg:#1d1f23;--fg:#eceef1;--muted:#a6abb3;--bubble:#2b2e34;--line:#3a3e45}}
button{cursor:pointer;border:0;background:none}
.launcher{position:fixed;bottom:20px;width:56px;height:56px;border-radius:50%;background:var(--pri);color:var(--on-pri);
display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25);transition:transform .15s}
.launcher:hover{transform:scale(1.06)}
.launcher svg{width:28px;height:28px;fill:currentColor}
.right .launcher,.right .panel{right:20px}.left .launcher,.left .panel{left:20px}
:focus-visible{outline:3px solid var(--pri);outline-offset:2px}
.panel{position:fixed;bottom:88px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 110px);
background:var(--bg);border:1px solid var(--line);border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.22);
display:flex;flex-direction:column;overflow:hidden}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:8px;padding:14px 16px;background:var(--pri);color:var(--on-pri)}
header .title{flex:1;font-weight:600;font-size:16px}
.close{width:32px;height:32px;border-radius:8px;color:var(--on-pri);display:flex;align-items:center;justify-content:center}
.close svg{width:20px;height:20px;fill:currentColor}
.close:focus-visible{outline-color:var(--on-pri)}
.notice{padding:10px 16px;background:#fff4e5;color:#5a3300;border-bottom:1px solid #f0d2a8;font-size:14px}
.notice[hidden]{display:none}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{max-width:85%;padding:9px 13px;border-radius:14px;word-wrap:break-word;overflow-wrap:anywhere}
.assistant{align-self:flex-start;background:var(--bubble);border-bottom-left-radius:4px}
.user{align-self:flex-end;background:var(--pri);color:var(--on-pri);border-bottom-right-radius:4px;white-space:pre-wrap}
.msg p,.msg ul,.msg ol,.msg pre,.msg blockquote,.msg .table{margin:0 0 8px}
.msg>:last-child{margin-bottom:0}
.msg ul,.msg ol{padding-left:20px}
.msg .h{font-weight:700}
.msg strong{font-weight:700}.msg em{font-style:italic}
.msg a{color:inherit;text-decoration:underline}
.msg code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;background:rgba(127,127,127,.18);padding:1px 4px;border-radius:4px}
.msg pre{background:rgba(127,127,127,.16);padding:8px 10px;border-radius:8px;overflow-x:auto;white-space:pre}
.msg pre code{background:none;padding:0}
.msg blockquote{border-left:3px solid var(--line);padding-left:10px;color:var(--muted)}
.msg .table{overflow-x:auto}.msg table{border-collapse:collapse}.msg th,.msg td{border:1px solid var(--line);padding:3px 6px}
.msg.failed{opacity:.7}
.quick{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start;max-width:85%}
.chip{padding:6px 12px;border:1px solid var(--pri);border-radius:16px;color:var(--fg);background:var(--bg);font-size:14px}
.chip:hover{background:var(--bubble)}
.meta{font-size:12px;color:var(--muted);align-self:flex-end}
.typing{display:flex;gap:4px;padding:13px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--muted);animation:b 1.2s infinite}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes b{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}.launcher{transition:none}}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--line);background:var(--bg)}
textarea{flex:1;resize:none;font-size:16px;line-height:1.4;max-height:140px;min-height:42px;padding:9px 12px;
border:1px solid var(--line);border-radius:12px;background:var(--bg);color:var(--fg)}
textarea::placeholder{color:var(--muted)}
.send{width:42px;height:42px;border-radius:50%;background:var(--pri);color:var(--on-pri);display:flex;align-items:center;justify-content:center;flex:none}
.send svg{width:20px;height:20px;fill:currentColor}
.send:disabled{opacity:.45;cursor:default}
.count{font-size:12px;color:var(--muted);padding:0 16px 6px;text-align:right}
.count.over{color:#b00020}
.count[hidden]{display:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){
.panel{inset:0;left:0!important;right:0!important;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;border:0}
.open .launcher{display:none}
}
`;
