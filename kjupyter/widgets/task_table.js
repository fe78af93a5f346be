// kjupyter live task table: draws the `rows` trait (one compact row per task or rank) virtualised:
// only the rows in view are in the DOM, so 10,000 tasks scroll smoothly. A tap on a row asks
// Python for that task's stdout, stderr and traceback (`detail`).
const TOUCH = typeof window.matchMedia === "function" && window.matchMedia("(pointer: coarse)").matches;
const ROW = TOUCH ? 44 : 22;
const ORDER = ["pending", "running", "ok"];

function element(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const host = element("div", "kj-tasks");
  const bar = element("div", "kj-tasks-toolbar");
  const counts = element("span", "kj-tasks-counts");
  const label = element("label", "kj-tasks-filter");
  const failures = element("input");
  failures.type = "checkbox";
  failures.className = "kj-tasks-failures";
  label.append(failures, document.createTextNode(" failures only"));
  bar.append(counts, label);
  const list = element("div", "kj-tasks-list");
  const spacer = element("div", "kj-tasks-spacer");
  const window_ = element("div", "kj-tasks-window");
  spacer.append(window_);
  list.append(spacer);
  const detail = element("div", "kj-tasks-detail");
  host.append(bar, list, detail);
  el.append(host);
  let selected = -1;

  const shown = () => {
    const rows = model.get("rows");
    const indices = [];
    for (let i = 0; i < rows.length; i++) {
      const status = rows[i][0];
      if (!failures.checked || !ORDER.includes(status)) indices.push(i);
    }
    return indices;
  };

  const drawCounts = () => {
    const all = model.get("counts");
    const total = Object.values(all).reduce((a, b) => a + b, 0);
    const failed = Object.entries(all).filter(([k]) => !ORDER.includes(k)).reduce((a, [, v]) => a + v, 0);
    const parts = ORDER.filter((k) => all[k]).map((k) => `${all[k]} ${k}`);
    if (failed) parts.push(`${failed} failed`);
    const noun = model.get("noun") + (total === 1 ? "" : "s");
    const of = model.get("of") ? ` of ${model.get("of")}` : "";
    counts.textContent = `${total} ${noun}${of}: ${parts.join(", ")}` + (model.get("done") ? " (done)" : "");
    counts.classList.toggle("kj-tasks-bad", failed > 0);
  };

  const draw = () => {
    const rows = model.get("rows");
    const indices = shown();
    // Short runs (a session's few ranks) get a short list; long ones scroll in `height`.
    list.style.height = `${Math.min(model.get("height"), Math.max(indices.length, 1) * ROW + 2)}px`;
    spacer.style.height = `${indices.length * ROW}px`;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(indices.length, first + Math.ceil(model.get("height") / ROW) + 10);
    window_.style.top = `${first * ROW}px`;
    window_.replaceChildren();
    for (let k = first; k < last; k++) {
      const i = indices[k];
      const [status, worker, seconds, error, number, output] = rows[i];
      const line = element("div", `kj-task-row kj-status-${ORDER.includes(status) ? status : "failed"}`);
      if (i === selected) line.classList.add("kj-selected");
      line.dataset.index = String(i);
      line.dataset.number = String(number ?? i);
      line.dataset.status = status;
      line.style.height = `${ROW}px`;
      line.style.lineHeight = `${ROW}px`;
      line.append(
        element("span", "kj-task-index", String(number ?? i)),
        element("span", "kj-task-status", status),
        element("span", "kj-task-worker", worker),
        element("span", "kj-task-seconds", seconds === null ? "" : `${seconds.toFixed(3)} s`),
        element("span", "kj-task-error", error),
        element("span", "kj-task-output", error ? "" : output || ""),
      );
      line.title = error || output || `${model.get("noun")} ${number ?? i}: ${status}`;
      line.addEventListener("click", () => {
        selected = i;
        model.send({ type: "show", index: i });
        draw();
      });
      window_.append(line);
    }
  };

  const drawDetail = () => {
    const d = model.get("detail");
    detail.replaceChildren();
    if (d.index === undefined) return;
    const took = typeof d.seconds === "number" ? ` ${d.seconds.toFixed(3)} s` : "";
    const title = `${model.get("noun")} ${d.number ?? d.index}: ${d.status || ""} ${d.worker || ""}${took}`;
    detail.append(element("div", "kj-tasks-detail-title", title));
    for (const [name, text] of [["error", d.error], ["stdout", d.stdout], ["stderr", d.stderr], ["traceback", d.traceback]]) {
      if (!text) continue;
      const block = element("pre", `kj-tasks-${name}`, text);
      detail.append(element("div", "kj-tasks-detail-label", name), block);
    }
  };

  failures.addEventListener("change", () => { list.scrollTop = 0; draw(); });
  list.addEventListener("scroll", draw);
  model.on("change:rows", draw);
  model.on("change:counts", drawCounts);
  model.on("change:done", drawCounts);
  model.on("change:detail", drawDetail);
  model.on("change:height", draw);
  model.on("change:noun", drawCounts);
  model.on("change:of", drawCounts);
  draw();
  drawCounts();
  drawDetail();
}

export default { render };
