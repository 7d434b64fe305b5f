(function () {
  function cell(text) { var td = document.createElement("td"); td.textContent = text == null || text === "" ? "—" : String(text); return td; }
  function fill(id, rows, columns, empty) {
    var body = document.getElementById(id);
    body.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr"); var td = cell(empty); td.colSpan = columns; td.className = "muted"; tr.appendChild(td); body.appendChild(tr); return;
    }
    rows.forEach(function (r) { var tr = document.createElement("tr"); r.forEach(function (v) { tr.appendChild(cell(v)); }); body.appendChild(tr); });
  }
  // The workers' states in French (sip-agent-server says them in English); an unknown one as given.
  var STATES = { idle: "libre", busy: "en appel", ready: "libre", offline: "hors ligne", starting: "démarrage", draining: "en arrêt", error: "en erreur" };
  function refresh() {
    fetch("/api/admin/servers", { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { if (res.status === 401) { location.href = "/login?next=/admin/servers"; throw new Error("login"); } return res.json(); })
      .then(function (data) {
        document.getElementById("offline").hidden = data.serverOnline;
        document.getElementById("checked").textContent = new Date(data.checkedAt).toLocaleTimeString("fr-FR");
        fill("workers", data.workers.map(function (w) { return [w.name, STATES[w.state] ? STATES[w.state] + " (" + w.state + ")" : w.state, w.currentCall]; }), 3, data.serverOnline ? "Aucun poste vocal connecté." : "Serveur injoignable.");
        fill("agents", data.agents.map(function (a) { return [a.name, a.active === true ? "oui" : a.active === false ? "non" : "—", a.restaurantName || a.restaurantId, a.transport]; }), 4, data.serverOnline ? "Aucun agent." : "Serveur injoignable.");
      })
      .catch(function () {});
  }
  refresh();
  setInterval(refresh, 10000);
})();
