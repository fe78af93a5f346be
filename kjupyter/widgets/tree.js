// kjupyter tree browser: draws the `nodes` trait as a tree and sends the user's intents
// (expand, collapse, select, action) to Python. Rows are virtualised: only those in view are
// in the DOM, so namespaces with thousands of pods stay fast.
// On a touch screen rows are 44 px, the smallest target a finger hits reliably.
const TOUCH = typeof window.matchMedia === "function" && window.matchMedia("(pointer: coarse)").matches;
const ROW = TOUCH ? 44 : 22;
const NARROW = 600; // below this width the side pane goes under the list

// With a filter, a row shows when its name matches, when a loaded row below it matches (the way
// down to a match stays visible), or when a row above it matched (a match keeps its subtree).
// Pods and workloads are directories too, so filtering leaves only would filter nothing.
function visibleRows(model, filter) {
  const nodes = model.get("nodes");
  const expanded = new Set(model.get("expanded"));
  const matches = (node) => node.name.toLowerCase().includes(filter);
  const below = new Map();
  const matchBelow = (path) => {
    if (below.has(path)) return below.get(path);
    const node = nodes[path];
    const found = Boolean(
      node && node.children && node.children.some((c) => (nodes[c] && matches(nodes[c])) || matchBelow(c)),
    );
    below.set(path, found);
    return found;
  };
  const rows = [];
  const walk = (path, depth, inMatch) => {
    const node = nodes[path];
    if (!node) return;
    const selfMatch = !filter || inMatch || matches(node);
    if (depth >= 0) {
      if (!selfMatch && !matchBelow(path)) return;
      rows.push({ path, depth, node, open: expanded.has(path) });
    }
    if ((depth < 0 || expanded.has(path)) && node.children) {
      for (const child of node.children) walk(child, depth + 1, depth >= 0 && selfMatch && !!filter);
    }
  };
  walk(model.get("root"), -1, false);
  return rows;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: host }) {
  host.classList.add("kj-tree");
  if (TOUCH) host.classList.add("kj-touch");
  const toolbar = el("div", "kj-tree-toolbar");
  const filter = el("input", "kj-tree-filter");
  filter.placeholder = "filter names";
  const refresh = el("button", "kj-tree-refresh", "⟳");
  refresh.title = "reload the selected directory";
  const status = el("span", "kj-tree-status");
  // Contexts and namespaces at the top, as k9s shows them: picking one starts the tree over.
  const picker = (cls, names, current, type) => {
    const select = el("select", cls);
    const all = type === "namespace" ? ["", ...names] : names;
    for (const name of all) {
      const option = el("option", "", name || "(all namespaces: /)");
      option.value = name;
      select.append(option);
    }
    select.value = current;
    select.addEventListener("change", () => model.send({ type, [type]: select.value }));
    return select;
  };
  const where = el("span", "kj-tree-where");
  const drawWhere = () => {
    const parts = [];
    if (model.get("contexts").length) {
      parts.push(picker("kj-tree-context", model.get("contexts"), model.get("context"), "context"));
    }
    parts.push(picker("kj-tree-namespace", model.get("namespaces"), model.get("namespace"), "namespace"));
    where.replaceChildren(...parts);
  };
  toolbar.append(where, filter, refresh, status);

  const body = el("div", "kj-tree-body");
  const list = el("div", "kj-tree-list");
  const spacer = el("div", "kj-tree-spacer");
  const window_ = el("div", "kj-tree-window");
  spacer.append(window_);
  list.append(spacer);
  const side = el("div", "kj-tree-side");
  const actions = el("div", "kj-tree-actions");
  const error = el("div", "kj-tree-error");
  const detail = el("div", "kj-tree-detail");
  const selection = el("div", "kj-tree-selection"); // the full name, whatever the row cut off
  side.append(selection, actions, error, detail);
  body.append(list, side);
  host.append(toolbar, body);

  let armed = null; // a destructive action waiting for its confirming second click

  const draw = () => {
    list.style.height = `${model.get("height")}px`;
    const rows = visibleRows(model, filter.value.trim().toLowerCase());
    spacer.style.height = `${rows.length * ROW}px`;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const count = Math.ceil(model.get("height") / ROW) + 10;
    window_.style.transform = `translateY(${first * ROW}px)`;
    const selected = model.get("selected");
    const fresh = new Map();
    const wanted = rows.slice(first, first + count).map((entry) => {
      // A row that draws the same is kept, not made again: a press that began on it before
      // a live update (a watch event redraws the list) still ends on it, so the tap counts.
      const { path, depth, node, open } = entry;
      const count_ = node.dir && node.children ? node.children.length : null;
      const key = JSON.stringify([depth, open, node.dir, node.name, count_, node.state || null,
        node.error || "", path === selected]);
      const kept = drawnRows.get(path);
      const row = kept && kept.key === key ? kept.row : drawRow(entry, selected);
      fresh.set(path, { key, row });
      return row;
    });
    drawnRows = fresh;
    // Rows that go are removed first, then new ones inserted where they belong, so a kept
    // row is never moved (a move, like a remake, would lose a press that began on it).
    const keep = new Set(wanted);
    for (const row of Array.from(window_.children)) if (!keep.has(row)) row.remove();
    wanted.forEach((row, i) => {
      if (window_.children[i] !== row) window_.insertBefore(row, window_.children[i] || null);
    });
  };

  let drawnRows = new Map(); // path -> {key, row}: the rows drawn last, to keep what is equal
  const drawRow = ({ path, depth, node, open }, selected) => {
    const row = el("div", "kj-tree-row");
    row.dataset.path = path;
    row.title = path;
    row.style.paddingLeft = `${depth * 14 + 4}px`;
    if (path === selected) row.classList.add("kj-selected");
    const twisty = el("span", "kj-twisty", node.dir ? (open ? "▾" : "▸") : "");
    const label = el("span", node.dir ? "kj-dir" : "kj-leaf", node.name);
    row.append(twisty, label);
    if (node.dir && node.children) {
      // a loaded directory says how many entries it holds; an empty one is dimmed
      row.append(el("span", "kj-count", String(node.children.length)));
      if (node.children.length === 0) row.classList.add("kj-empty");
    }
    if (node.state) {
      const state = el("span", `kj-state kj-badge-${node.state.badge}`, node.state.text);
      row.append(state);
    }
    if (node.error) {
      row.classList.add("kj-failed");
      const failure = el("span", "kj-row-error", ` ⚠ ${node.error}`);
      row.title = `${node.error} (tap to try again)`;
      row.append(failure);
    }
    twisty.addEventListener("click", (event) => {
      event.stopPropagation();
      if (node.dir) model.send({ type: open ? "collapse" : "expand", path });
    });
    row.addEventListener("click", () => {
      model.set("selected", path); // at once: an action pressed next acts on this row
      model.save_changes();
      model.send({ type: "select", path });
      if (node.dir && !open) model.send({ type: "expand", path });
    });
    return row;
  };

  // Every button reads the selection when it is pressed, never when it was drawn: selecting a
  // second object of the same kind leaves the action list equal, so nothing redraws it then.
  const send = (action, argument = null) =>
    model.send({ type: "action", action, path: model.get("selected"), argument });

  const scaleControl = () => {
    const form = el("span", "kj-scale");
    const input = el("input", "kj-scale-replicas");
    input.type = "number";
    input.min = "0";
    input.step = "1";
    const current = model.get("replicas");
    input.value = current === null || current === undefined ? "" : String(current);
    input.title = `replicas now: ${input.value || "unknown"}`;
    const apply = el("button", "kj-scale-apply", "scale");
    const cancel = el("button", "kj-scale-cancel", "cancel");
    const submit = () => send("scale", input.value);
    apply.addEventListener("click", submit);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") submit();
      if (event.key === "Escape") drawActions();
    });
    cancel.addEventListener("click", () => drawActions());
    form.append(el("label", "kj-scale-label", "replicas"), input, apply, cancel);
    return form;
  };

  // The exec box: a command run in the picked container of the selected pod; its output
  // streams into the detail pane. Enter runs it, Escape puts the button back.
  const execControl = () => {
    const form = el("span", "kj-exec");
    const picker = containerPicker("kj-exec-container", "");
    const input = el("input", "kj-exec-command");
    input.type = "text";
    input.placeholder = "command, e.g. ls / (no shell: sh -c '...' for one)";
    input.autocapitalize = "off";
    input.spellcheck = false;
    const run = el("button", "kj-exec-run", "run");
    const cancel = el("button", "kj-exec-cancel", "cancel");
    const submit = () => send("exec", { command: input.value, container: picker ? picker.value : "" });
    run.addEventListener("click", submit);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") submit();
      if (event.key === "Escape") drawActions();
    });
    cancel.addEventListener("click", () => drawActions());
    form.append(...(picker ? [picker] : []), input, run, cancel);
    return form;
  };

  const drawActions = () => {
    armed = null;
    const denied = model.get("denied") || {};
    const reasons = Object.entries(denied).filter(([action]) => model.get("actions").includes(action));
    actions.replaceChildren(
      ...model.get("actions").map((action) => {
        const button = el("button", `kj-action kj-action-${action}`, action);
        button.dataset.action = action;
        if (denied[action]) {
          // The rules review says the server would refuse it: say which verb is missing
          // (in the title for the mouse, and on a line below for touch, where there is no hover).
          button.disabled = true;
          button.classList.add("kj-denied");
          button.title = `${action}: ${denied[action]}`;
          return button;
        }
        button.addEventListener("click", () => {
          if (action === "delete" && armed !== action) {
            armed = action;
            button.textContent = "delete? click again";
            button.classList.add("kj-armed");
            return;
          }
          if (action === "scale" || action === "exec") {
            const form = action === "scale" ? scaleControl() : execControl();
            button.replaceWith(form);
            form.querySelector("input").focus();
            return;
          }
          send(action);
        });
        return button;
      }),
      ...(reasons.length
        ? [el("div", "kj-denied-reasons", reasons.map(([a, why]) => `${a}: ${why}`).join("; "))]
        : []),
    );
  };

  // A pod's containers to pick from (null when it has only one: nothing to pick).
  const containerPicker = (cls, current) => {
    const names = model.get("containers");
    if (names.length < 2) return null;
    const picker = el("select", cls);
    for (const name of names) {
      const option = el("option", "", name);
      option.value = name;
      picker.append(option);
    }
    if (current) picker.value = current;
    return picker;
  };

  // Logs as kubectl takes them: a container picker, the previous run, timestamps, and follow
  // (`logs -f`) with a stop button. Each change asks again (the last 500 lines).
  const logOptions = (options, following) => {
    const bar = el("div", "kj-logs-options");
    const picker = containerPicker("kj-logs-container", options.container) || { value: options.container || "" };
    const box = (cls, text, on) => {
      const label = el("label", "kj-logs-flag");
      const input = el("input", cls);
      input.type = "checkbox";
      input.checked = Boolean(on);
      label.append(input, document.createTextNode(` ${text}`));
      return [label, input];
    };
    const [previousLabel, previous] = box("kj-logs-previous", "previous", options.previous);
    const [stampsLabel, stamps] = box("kj-logs-timestamps", "timestamps", options.timestamps);
    const ask = (follow) => send("logs", {
      container: picker.value, previous: previous.checked && !follow, timestamps: stamps.checked, follow,
    });
    for (const input of [picker, previous, stamps]) {
      if (input.addEventListener) input.addEventListener("change", () => ask(following && !previous.checked));
    }
    if (picker.nodeType) bar.append(picker);
    bar.append(previousLabel, stampsLabel);
    if (following) {
      const stop = el("button", "kj-logs-stop", "■ stop");
      stop.title = "stop following the log";
      stop.addEventListener("click", () => model.send({ type: "stop" }));
      bar.append(stop, el("span", "kj-logs-live", "following…"));
    } else {
      const follow = el("button", "kj-logs-follow", "▶ follow");
      follow.title = "follow the log as it grows (kubectl logs -f)";
      follow.addEventListener("click", () => ask(true));
      bar.append(follow);
    }
    return bar;
  };

  // A followed log or a running command updates its text only: the bar, the picker and the
  // scroll position stay (the pane sticks to the bottom if it was there, as `tail -f` does).
  let drawn = "";
  const drawDetail = () => {
    const shown = model.get("detail") || {};
    const key = JSON.stringify([shown.path, shown.action, shown.options, shown.running, shown.stopping, shown.ended]);
    const text = detail.querySelector(".kj-tree-text");
    if (key === drawn && text && (shown.action === "logs" || shown.action === "exec")) {
      const atBottom = detail.scrollTop + detail.clientHeight >= detail.scrollHeight - 4;
      text.textContent = shown.text;
      if (atBottom) detail.scrollTop = detail.scrollHeight;
      return;
    }
    drawn = key;
    detail.replaceChildren();
    if (!shown.path || shown.path !== model.get("selected")) return; // another object's
    if (shown.html) {
      detail.innerHTML = shown.html; // produced by pandas/pygments in Python: escaped there
    } else if (shown.text || shown.action === "logs" || shown.action === "exec") {
      if (shown.action === "logs") detail.append(logOptions(shown.options || {}, Boolean(shown.running)));
      if (shown.action === "exec") {
        const where = shown.options.container ? ` (${shown.options.container})` : "";
        detail.append(el("div", "kj-exec-title", `$ ${shown.options.command || ""}${where}`));
        if (shown.running) {
          // No fixed limit: the command runs until it ends or Stop signals it in the pod.
          const stop = el("button", "kj-exec-stop", shown.stopping ? "stopping…" : "■ stop");
          stop.title = "stop the command (SIGINT, then SIGKILL), keeping what it printed";
          stop.disabled = Boolean(shown.stopping);
          stop.addEventListener("click", () => model.send({ type: "stop" }));
          const bar = el("div", "kj-exec-bar");
          bar.append(stop, el("span", "kj-exec-live", shown.stopping ? "" : "running…"));
          detail.append(bar);
        }
      }
      detail.append(el("pre", "kj-tree-text", shown.text));
      if (shown.ended && !shown.running) {
        const end = el("div", `kj-stream-end${shown.failed ? " kj-stream-failed" : ""}`, shown.ended);
        detail.append(end);
      }
      if (shown.running) detail.scrollTop = detail.scrollHeight;
    }
  };

  const drawStatus = () => {
    status.textContent = model.get("status");
    error.textContent = model.get("error");
    error.style.display = model.get("error") ? "block" : "none";
  };

  filter.addEventListener("input", draw);
  list.addEventListener("scroll", draw);
  refresh.addEventListener("click", () => model.send({ type: "refresh", path: "" }));
  model.on("change:nodes", draw);
  model.on("change:expanded", draw);
  const drawSelection = () => {
    selection.textContent = model.get("selected");
  };
  const resized = typeof ResizeObserver === "function"
    ? new ResizeObserver(() => host.classList.toggle("kj-narrow", host.clientWidth < NARROW))
    : null;
  if (resized) resized.observe(host);
  host.classList.toggle("kj-narrow", host.clientWidth > 0 && host.clientWidth < NARROW);
  model.on("change:selected", () => {
    drawSelection();
    draw();
    drawActions();
    drawDetail();
  });
  model.on("change:replicas", () => {
    const input = actions.querySelector(".kj-scale-replicas");
    if (input && model.get("replicas") !== null) input.value = String(model.get("replicas"));
  });
  model.on("change:height", draw);
  model.on("change:actions", drawActions);
  for (const name of ["contexts", "context", "namespaces", "namespace"]) model.on(`change:${name}`, drawWhere);
  model.on("change:root", draw);
  model.on("change:denied", drawActions);
  model.on("change:detail", drawDetail);
  model.on("change:status", drawStatus);
  model.on("change:error", drawStatus);
  draw();
  drawWhere();
  drawSelection();
  drawActions();
  drawDetail();
  drawStatus();
  return () => resized && resized.disconnect(); // anywidget calls this when the view goes
}

export default { render };
