const TRANSITIONS = JSON.parse(BO.transitions);
const LABELS = JSON.parse(BO.labels);
const ACTIONS = { confirmed: "Confirmer", preparing: "En préparation", ready: "Prête", delivering: "En livraison", completed: "Remise", cancelled: "Annuler" };
const TYPES = { pickup: "à emporter", delivery: "livraison", dine_in: "sur place" };
function card(o) {
  const items = o.items.map(i => esc(i.quantity + " × " + i.name + (i.selectedOptions.length ? " (" + i.selectedOptions.map(p => p.choice).join(", ") + ")" : "") + (i.notes ? " — " + i.notes : ""))).join(", ");
  const next = (TRANSITIONS[o.status] || []).filter(s => s !== "delivering" || o.orderType === "delivery");
  const buttons = next.map(s => `<button type="button" class="${s === "cancelled" ? "secondary" : ""}" data-api="PATCH /api/orders" data-body='${esc(JSON.stringify({ id: o.id, status: s }))}' data-done="Commande n° ${o.orderNumber} : ${esc(LABELS[s])}.">${esc(ACTIONS[s])}<span class="sr-only"> la commande n° ${o.orderNumber}</span></button>`).join("");
  return `<article class="order" data-status="${esc(o.status)}" id="order-${o.orderNumber}" aria-labelledby="title-${o.orderNumber}">
    <h2 id="title-${o.orderNumber}" style="margin:0;font-size:1.1rem">Commande n° ${o.orderNumber} · ${esc(TYPES[o.orderType] || o.orderType)} · ${o.estimatedReadyTime ? "prête à " + esc(o.estimatedReadyTime) : ""}</h2>
    <p style="margin:.25rem 0"><strong class="status">${esc(LABELS[o.status])}</strong> — ${esc(o.customerName || "")} ${esc(o.customerPhone || "")}</p>
    <p style="margin:.25rem 0">${items} — <strong>${o.total.toFixed(2).replace(".", ",")} ${esc(BO.symbol)}</strong></p>
    ${o.deliveryAddress ? `<p class="muted" style="margin:.25rem 0">${esc(o.deliveryAddress)}</p>` : ""}
    ${o.notes ? `<p class="muted" style="margin:.25rem 0">Note : ${esc(o.notes)}</p>` : ""}
    <div class="actions">${buttons}</div></article>`;
}
window.refresh = async function () {
  try {
    const j = await api("GET", `/api/orders?restaurantId=${RID}&date=${BO.date}&limit=200`);
    const open = j.orders.filter(o => o.status !== "completed" && o.status !== "cancelled");
    const closed = j.orders.filter(o => o.status === "completed" || o.status === "cancelled");
    document.getElementById("board").innerHTML = (open.length ? open.map(card).join("") : `<p class="card">Aucune commande en cours.</p>`)
      + (closed.length ? `<h2>Terminées ou annulées</h2>` + closed.map(card).join("") : "");
    document.getElementById("updated").textContent = "Mis à jour à " + new Date().toLocaleTimeString("fr-FR");
  } catch (err) { say(err.message, true); }
};
window.refresh();
setInterval(window.refresh, 3000);
