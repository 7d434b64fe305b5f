// The orders board: open orders sorted by ready time, updated in place every 3 s (a card is rebuilt only when its
// order changed, and the focused button keeps its focus); a new order rings, shows "(N)" in the title and stays
// highlighted until it is marked as seen.
const TRANSITIONS = JSON.parse(BO.transitions);
const LABELS = JSON.parse(BO.labels);
const ACTIONS = { confirmed: "Confirmer", preparing: "En préparation", ready: "Prête", delivering: "En livraison", completed: "Remise", cancelled: "Annuler" };
const TYPES = { pickup: "à emporter", delivery: "livraison", dine_in: "sur place" };
const SEEN_KEY = "alloresto-seen-" + RID;
const TITLE = document.title;
let seen = null;
try { seen = new Set(JSON.parse(localStorage.getItem(SEEN_KEY) || "null")); } catch (_) { seen = null; }
let firstLoad = seen === null || seen.size === 0;
if (!seen) seen = new Set();
function remember() { try { localStorage.setItem(SEEN_KEY, JSON.stringify([...seen].slice(-500))); } catch (_) {} }
function money(v) { return v.toFixed(2).replace(".", ",") + " " + BO.symbol; }
function when(o) {
  if (!o.estimatedReadyTime) return "";
  const day = o.readyDay && o.readyDay !== "aujourd'hui" ? o.readyDay + " " : "";
  return (o.orderType === "delivery" ? "livrée " : "prête ") + day + "à " + o.estimatedReadyTime.replace(":", "h");
}
function card(o, fresh) {
  const items = o.items.map(i => esc(i.quantity + " × " + i.name + (i.selectedOptions.length ? " (" + i.selectedOptions.map(p => p.choice).join(", ") + ")" : "") + (i.notes ? " — " + i.notes : ""))).join(", ");
  const next = (TRANSITIONS[o.status] || []).filter(s => s !== "delivering" || o.orderType === "delivery");
  const buttons = next.map(s => `<button type="button" id="act-${o.orderNumber}-${s}" class="${s === "cancelled" ? "secondary" : ""}" data-api="PATCH /api/orders" data-body='${esc(JSON.stringify({ id: o.id, status: s }))}'${s === "cancelled" ? ` data-confirm="Annuler la commande n° ${o.orderNumber} ? Le client ne sera pas prévenu automatiquement."` : ""} data-done="Commande n° ${o.orderNumber} : ${esc(LABELS[s])}.">${esc(ACTIONS[s])}<span class="sr-only"> la commande n° ${o.orderNumber}</span></button>`).join("");
  const phone = o.customerPhone ? ` <a href="tel:${esc(o.customerPhone)}">${esc(o.customerPhone)}</a>` : "";
  const seenButton = fresh ? `<button type="button" class="secondary" id="seen-${o.orderNumber}" data-seen="${esc(o.id)}">Vu<span class="sr-only"> : commande n° ${o.orderNumber}</span></button>` : "";
  return `<h2 id="title-${o.orderNumber}" style="margin:0;font-size:1.1rem">${fresh ? `<span class="badge">Nouvelle</span> ` : ""}Commande n° ${o.orderNumber} · ${esc(TYPES[o.orderType] || o.orderType)} · ${esc(when(o))}</h2>
    <p style="margin:.25rem 0"><strong class="status">${esc(LABELS[o.status])}</strong> — ${esc(o.customerName || "")}${phone}</p>
    <p style="margin:.25rem 0">${items} — <strong>${money(o.total)}</strong>${o.paymentLabel ? ` · ${esc(o.paymentLabel)}` : ""}</p>
    ${o.deliveryAddress ? `<p class="muted" style="margin:.25rem 0">${esc(o.deliveryAddress)}${o.departureTime ? " — départ à " + esc(o.departureTime.replace(":", "h")) : ""}</p>` : ""}
    ${o.notes ? `<p class="muted" style="margin:.25rem 0">Note : ${esc(o.notes)}</p>` : ""}
    <div class="actions">${seenButton}${buttons}<a class="button secondary" href="${BO.base}/orders/${esc(o.id)}/ticket" target="_blank" rel="noopener">Ticket<span class="sr-only"> de la commande n° ${o.orderNumber}</span></a></div>`;
}
function place(list, container) {
  // Cards keyed by order id: rebuilt only when their content changed, moved into order otherwise.
  let previous = null;
  for (const { o, html, fresh } of list) {
    let el = document.getElementById("order-" + o.id);
    if (!el) {
      el = document.createElement("article");
      el.id = "order-" + o.id;
      el.className = "order";
      el.setAttribute("aria-labelledby", "title-" + o.orderNumber);
    }
    if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
    el.dataset.status = o.status;
    el.classList.toggle("fresh", fresh);
    const want = previous ? previous.nextSibling : container.firstChild;
    if (want !== el) container.insertBefore(el, want);
    previous = el;
  }
  for (const el of [...container.children]) if (!list.some(x => "order-" + x.o.id === el.id)) el.remove();
}
function ring() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    for (const [i, f] of [[0, 880], [1, 1320]]) {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = f; gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.25); osc.stop(ctx.currentTime + i * 0.25 + 0.2);
    }
  } catch (_) {}
}
const ORDER = ["pending", "confirmed", "preparing", "ready", "delivering"];
window.refresh = async function () {
  try {
    const j = await api("GET", `/api/orders?restaurantId=${RID}&board=1&limit=300`);
    const focused = document.activeElement && document.activeElement.id;
    const open = j.orders.filter(o => o.status !== "completed" && o.status !== "cancelled");
    const closed = j.orders.filter(o => o.status === "completed" || o.status === "cancelled");
    // Sorted by ready time (then by number); an order without a time comes last.
    open.sort((a, b) => (a.estimatedReadyAt || "9999").localeCompare(b.estimatedReadyAt || "9999") || a.orderNumber - b.orderNumber);
    if (firstLoad) { for (const o of j.orders) seen.add(o.id); remember(); firstLoad = false; }
    const fresh = open.filter(o => !seen.has(o.id));
    const ringNow = fresh.some(o => !window.__rung || !window.__rung.has(o.id));
    window.__rung = new Set(fresh.map(o => o.id));
    place(open.map(o => ({ o, html: card(o, !seen.has(o.id)), fresh: !seen.has(o.id) })), document.getElementById("open"));
    place(closed.map(o => ({ o, html: card(o, false), fresh: false })), document.getElementById("closed"));
    document.getElementById("none").hidden = open.length > 0;
    document.getElementById("closed-title").hidden = closed.length === 0;
    document.getElementById("count").textContent = open.length ? `${open.length} commande(s) en cours` + (fresh.length ? `, dont ${fresh.length} nouvelle(s)` : "") : "";
    document.title = (fresh.length ? `(${fresh.length}) ` : "") + TITLE;
    if (ringNow && fresh.length) ring();
    if (focused && document.activeElement && document.activeElement.id !== focused) {
      const again = document.getElementById(focused);
      if (again) again.focus();
    }
    document.getElementById("updated").textContent = "Mis à jour à " + new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  } catch (err) { say(err.message, true); }
};
document.addEventListener("click", e => {
  const b = e.target.closest("button[data-seen]");
  if (!b) return;
  seen.add(b.dataset.seen); remember();
  const next = b.closest("article") && b.closest("article").querySelector(".actions button:not([data-seen])");
  window.refresh().then(() => { if (next && document.getElementById(next.id)) document.getElementById(next.id).focus(); });
});
window.refresh();
setInterval(window.refresh, 3000);
