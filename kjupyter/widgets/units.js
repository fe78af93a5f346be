// kjupyter units dashboard: draws the `units` trait as a dependency graph (requirements on the
// left, arrows to what requires them) with live states, and sends the user's intents (select,
// arm, confirm, cancel) to Python, which keeps all the state. Acting takes two taps: the first
// shows the plan in order, the second carries it out; `steps` shows each unit's turn.
const TOUCH = typeof window.matchMedia === "function" && window.matchMedia("(pointer: coarse)").matches;
const BOX_W = 190;
const BOX_H = TOUCH ? 44 : 34;
const GAP_X = 60;
const GAP_Y = 14;
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function element(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const host = element("div", "kj-units");
  const graph = element("div", "kj-units-graph");
  const side = element("div", "kj-units-side");
  const status = element("div", "kj-units-status");
  host.append(element("div", "kj-units-title", `units of ${model.get("namespace")}`), status);
  const body = element("div", "kj-units-body");
  body.append(graph, side);
  host.append(body);
  el.append(host);

  const place = (unit) => ({
    x: 8 + unit.column * (BOX_W + GAP_X),
    y: 8 + unit.row * (BOX_H + GAP_Y),
  });

  const drawGraph = () => {
    const units = model.get("units");
    const at = new Map(units.map((u) => [u.ref, place(u)]));
    const width = Math.max(...units.map((u) => at.get(u.ref).x), 0) + BOX_W + 16;
    const height = Math.max(...units.map((u) => at.get(u.ref).y), 0) + BOX_H + 16;
    const picture = svg("svg", { width, height, class: "kj-units-svg" });
    const marker = svg("marker", { id: "kj-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "kj-units-arrowhead" }));
    const defs = svg("defs", {});
    defs.append(marker);
    picture.append(defs);
    for (const unit of units) {
      for (const needed of unit.requires) {
        if (!at.has(needed)) continue;
        const from = at.get(needed);
        const to = at.get(unit.ref);
        picture.append(svg("line", { x1: from.x + BOX_W, y1: from.y + BOX_H / 2, x2: to.x,
          y2: to.y + BOX_H / 2, class: "kj-units-edge", "marker-end": "url(#kj-arrow)" }));
      }
    }
    for (const unit of units) {
      const { x, y } = at.get(unit.ref);
      const box = svg("g", { class: `kj-unit kj-${unit.tone}` + (unit.ref === model.get("selected") ? " kj-selected" : ""),
        "data-unit": unit.ref, "data-state": unit.state, transform: `translate(${x},${y})`, tabindex: 0 });
      box.append(svg("rect", { width: BOX_W, height: BOX_H, rx: 5 }));
      const name = svg("text", { x: 8, y: BOX_H / 2 - 2, class: "kj-unit-name" });
      name.textContent = unit.ref.length > 26 ? unit.ref.slice(0, 25) + "…" : unit.ref;
      const title = svg("title", {});
      title.textContent = `${unit.ref}: ${unit.state}, ${unit.ready}/${unit.replicas} ready`;
      const state = svg("text", { x: 8, y: BOX_H / 2 + 11, class: "kj-unit-state" });
      state.textContent = `${unit.state} · ${unit.ready}/${unit.replicas}`;
      box.append(name, state, title);
      box.addEventListener("click", () => model.send({ type: "select", unit: unit.ref }));
      picture.append(box);
    }
    graph.replaceChildren(picture);
  };

  const drawSide = () => {
    side.replaceChildren();
    const selected = model.get("selected");
    if (!selected) {
      side.append(element("div", "kj-units-hint", "tap a unit"));
      return;
    }
    side.append(element("div", "kj-units-selection", selected));
    const actions = element("div", "kj-units-actions");
    const armed = model.get("armed");
    const busy = model.get("busy");
    if (armed && armed.verb) {
      actions.append(element("div", "kj-units-question", armed.question));
      const go = element("button", "kj-units-confirm", `yes, ${armed.verb}`);
      go.dataset.verb = armed.verb;
      go.addEventListener("click", () => model.send({ type: "confirm" }));
      const no = element("button", "kj-units-cancel", "cancel");
      no.addEventListener("click", () => model.send({ type: "cancel" }));
      actions.append(go, no);
    } else {
      for (const verb of ["start", "stop", "restart"]) {
        const button = element("button", "kj-units-action", verb);
        button.dataset.verb = verb;
        button.disabled = busy;
        if (busy) button.title = "an action is running";
        button.addEventListener("click", () => model.send({ type: "arm", verb }));
        actions.append(button);
      }
    }
    side.append(actions);
    const steps = model.get("steps");
    if (steps.length) {
      const list = element("ol", "kj-units-steps");
      for (const step of steps) {
        const item = element("li", "kj-units-step", `${step.what} ${step.unit}`);
        item.dataset.unit = step.unit;
        item.dataset.what = step.what;
        list.append(item);
      }
      side.append(list);
    }
    const detail = model.get("detail");
    if (detail.unit === selected) {
      if (detail.error) side.append(element("div", "kj-units-error", detail.error));
      if (detail.status) {
        const table = element("table", "kj-units-table");
        const head = element("tr");
        for (const name of ["unit", "role", "state", "ready"]) head.append(element("th", "", name));
        table.append(head);
        for (const row of detail.status) {
          const line = element("tr");
          for (const value of [row.unit, row.role, row.state, `${row.ready}/${row.desired}`]) {
            line.append(element("td", "", String(value)));
          }
          table.append(line);
        }
        side.append(table);
      }
      if (detail.chain) side.append(element("pre", "kj-units-chain", detail.chain));
      if (detail.events && detail.events.length) {
        const events = element("ul", "kj-units-events");
        for (const text of detail.events) events.append(element("li", "", text));
        side.append(events);
      }
    }
  };

  const drawStatus = () => {
    const error = model.get("error");
    status.textContent = error || (model.get("busy") ? "working…" : "");
    status.classList.toggle("kj-units-error", Boolean(error));
  };

  model.on("change:units", drawGraph);
  model.on("change:selected", () => { drawGraph(); drawSide(); });
  for (const name of ["detail", "armed", "steps", "busy"]) model.on(`change:${name}`, drawSide);
  model.on("change:error", drawStatus);
  model.on("change:busy", drawStatus);
  drawGraph();
  drawSide();
  drawStatus();
}

export default { render };
