// fpgo-export's page script: drag and drop, dialogs, the grid's filter and in-place
// corrections, and a run's live progress (server-sent events). Plain JavaScript, no build
// step; every control also works as a plain form without it.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf"]').content;

function post(url, fields) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-fpgo-csrf": csrf() },
    body: new URLSearchParams(fields),
  });
}

// Drag and drop a sheet onto the upload form.
document.addEventListener("dragover", (e) => {
  const drop = e.target.closest && e.target.closest("#drop");
  if (drop) { e.preventDefault(); drop.classList.add("over"); }
});
document.addEventListener("dragleave", (e) => {
  const drop = e.target.closest && e.target.closest("#drop");
  if (drop) drop.classList.remove("over");
});
document.addEventListener("drop", (e) => {
  const drop = e.target.closest && e.target.closest("#drop");
  if (!drop) return;
  e.preventDefault();
  drop.classList.remove("over");
  const input = document.getElementById("sheet");
  input.files = e.dataTransfer.files;
  if (input.files.length) document.getElementById("upload").requestSubmit();
});

// A sheet larger than the app takes is said before it is sent.
document.addEventListener("submit", (e) => {
  if (e.target.id !== "upload") return;
  const file = document.getElementById("sheet").files[0];
  const max = Number(e.target.dataset.max);
  if (file && max && file.size > max) {
    e.preventDefault();
    document.getElementById("too-large").textContent =
      `${file.name} is ${(file.size / 1048576).toFixed(1)} MB; this app takes at most ${Math.floor(max / 1048576)} MB. ` +
      "Check it on the command line (fpgo-export check), or start the app with a larger --max-upload.";
  }
});

// Dialogs: a button opens one, another closes it.
document.addEventListener("click", (e) => {
  const opener = e.target.closest("[data-dialog]");
  if (opener) { document.getElementById(opener.dataset.dialog).showModal(); return; }
  const closer = e.target.closest("[data-close]");
  if (closer) { document.getElementById(closer.dataset.close).close(); return; }
  const link = e.target.closest("a[data-cell]");
  if (link) { e.preventDefault(); goToCell(link.dataset.cell); }
});

// Only the rows with problems.
document.addEventListener("change", (e) => {
  if (e.target.id === "only-problems") {
    document.getElementById("grid").classList.toggle("only-problems", e.target.checked);
  }
});

function goToCell(id) {
  const cell = document.getElementById(id);
  if (!cell) return;
  const filter = document.getElementById("only-problems");
  if (filter && filter.checked && !cell.closest("tr").classList.contains("troubled")) {
    filter.checked = false;
    document.getElementById("grid").classList.remove("only-problems");
  }
  if (!cell.hasAttribute("tabindex")) cell.setAttribute("tabindex", "-1");
  cell.scrollIntoView({ block: "center", inline: "nearest" });
  cell.focus();
}

// A problem cell's message is shown below the cell (on hover and focus, by the style sheet);
// placed here over the page, so the grid's scrolling box does not cut it off, and above the
// cell when there is no room below.
function placeMessage(cell) {
  const message = cell && cell.querySelector(":scope > .message");
  if (!message) return;
  const r = cell.getBoundingClientRect();
  message.style.position = "fixed";
  const room = window.innerWidth - message.offsetWidth - 8;
  message.style.left = `${Math.max(8, Math.min(r.left, room))}px`;
  const below = r.bottom + message.offsetHeight + 8 <= window.innerHeight;
  message.style.top = `${below ? r.bottom : r.top - message.offsetHeight}px`;
}
const cellOf = (node) => node && node.closest && node.closest("td");
document.addEventListener("focusin", (e) => placeMessage(cellOf(e.target)));
document.addEventListener("mouseover", (e) => placeMessage(cellOf(e.target)));
document.addEventListener("scroll", () => placeMessage(cellOf(document.activeElement)), true);

// Correcting a cell: Enter or F2 (or a double click) opens an editor; Enter saves, Escape
// cancels. The sheet is checked again and the review redrawn.
document.addEventListener("keydown", (e) => {
  const cell = e.target.closest && e.target.closest('td[role="gridcell"]');
  if (cell && e.target === cell && (e.key === "Enter" || e.key === "F2")) {
    e.preventDefault();
    edit(cell);
  }
});
document.addEventListener("dblclick", (e) => {
  const cell = e.target.closest('td[role="gridcell"]');
  if (cell && !cell.querySelector("input")) edit(cell);
});

function edit(cell) {
  if (cell.querySelector("input")) return;
  const grid = cell.closest("table");
  const row = cell.dataset.row;
  const column = cell.getAttribute("aria-colindex");
  const header = grid.querySelector(`thead th[aria-colindex="${column}"]`);
  const input = document.createElement("input");
  input.type = "text";
  input.value = cell.dataset.value;
  input.setAttribute("aria-label", `Correct row ${row}, ${header ? header.textContent.trim() : "column " + column}`);
  const before = cell.innerHTML;
  cell.innerHTML = "";
  cell.appendChild(input);
  input.focus();
  input.select();
  let done = false;
  const cancel = () => { if (!done) { done = true; cell.innerHTML = before; cell.focus(); } };
  input.addEventListener("keydown", async (e) => {
    if (e.key === "Escape") { e.preventDefault(); cancel(); }
    if (e.key === "Enter") {
      e.preventDefault();
      done = true;
      input.disabled = true;
      await save(grid.dataset.sheet, row, column, input.value, cell.id);
    }
  });
  input.addEventListener("blur", () => setTimeout(cancel, 150));
}

async function save(sheet, row, column, value, cellId) {
  const answer = await post(`/sheets/${sheet}/cells`, { row, column, value });
  if (!answer.ok) { alert(await answer.text()); }
  const fresh = await fetch(`/sheets/${sheet}/grid`);
  const review = document.getElementById("review");
  const holder = document.createElement("div");
  holder.innerHTML = await fresh.text();
  review.replaceWith(holder.firstElementChild);
  const status = document.getElementById("edit-status") || document.createElement("p");
  status.id = "edit-status";
  status.setAttribute("role", "status");
  status.textContent = `Row ${row} corrected and checked again.`;
  document.getElementById("review").prepend(status);
  goToCell(cellId);
}

// A run's progress, live.
function follow() {
  const run = document.getElementById("run");
  if (!run || run.dataset.finished === "true") return;
  const events = new EventSource(`/runs/${run.dataset.run}/events`);
  const text = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value ?? ""; };
  events.onmessage = (message) => {
    const p = JSON.parse(message.data);
    const bar = document.getElementById("progress");
    bar.setAttribute("aria-valuenow", p.done);
    bar.setAttribute("aria-valuemax", p.total);
    const percent = p.total ? Math.floor((p.done * 100) / p.total) : (p.phase === "done" ? 100 : 0);
    bar.firstElementChild.style.width = `${percent}%`;
    for (const key of ["phase", "done", "total", "created", "rejected", "failed", "uncertain"]) text(key, p[key]);
    text("waiting", p.waiting);
    text("stopping", p.stopping);
    text("error", p.error);
    text("summary", p.summary);
    const body = document.querySelector("#orders tbody");
    for (const o of p.orders) {
      const tr = document.createElement("tr");
      for (const value of [o.key, o.rows, o.status, o.order_id, o.message]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    if (p.phase === "done" || p.phase === "failed") {
      events.close();
      run.dataset.finished = "true";
      const stop = document.getElementById("stop-form");
      if (stop) stop.remove();
      const files = document.getElementById("files");
      files.innerHTML = "";
      for (const [name, label] of p.files) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = `/runs/${run.dataset.run}/files/${encodeURIComponent(name)}`;
        a.download = name;
        a.textContent = label;
        li.appendChild(a);
        files.appendChild(li);
      }
    }
  };
}

document.addEventListener("submit", async (e) => {
  if (e.target.id !== "stop-form") return;
  e.preventDefault();
  const button = document.getElementById("stop");
  button.disabled = true;
  button.textContent = "Stopping: the orders in flight are awaited…";
  await post(e.target.action, {});
});

document.addEventListener("DOMContentLoaded", follow);
