const BO = document.getElementById("bo-data").dataset;
const RID = BO.rid;
async function api(method, path, body) {
  const res = await fetch(path, { method, credentials: "same-origin", cache: "no-store",
    headers: body ? { "Content-Type": "application/json", "X-CSRF-Token": BO.csrf || "" } : {}, body: body ? JSON.stringify(body) : undefined });
  if (res.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("Session expirée."); }
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json.success === false) { const e = new Error(json.error || ("Erreur " + res.status)); e.field = json.field; throw e; }
  return json;
}
function say(message, bad) {
  const s = document.getElementById("status");
  s.textContent = message;
  s.className = bad ? "error" : "ok";
}
function esc(v) { const d = document.createElement("div"); d.textContent = v == null ? "" : String(v); return d.innerHTML; }
// Opening hours from the per-day fields: a day ticked "fermé", or without any time, is closed (null).
function hoursOf(form) {
  const out = {};
  for (const closed of form.querySelectorAll("[data-day][data-part=closed]")) {
    const day = closed.dataset.day;
    const part = p => (form.querySelector(`[data-day="${day}"][data-part="${p}"]`) || {}).value || "";
    const [o, c, o2, c2] = ["open", "close", "open2", "close2"].map(part);
    if (closed.checked || (!o && !c && !o2 && !c2)) { out[day] = null; continue; }
    const entry = { open: o, close: c };
    if (o2 || c2) { entry.open2 = o2; entry.close2 = c2; }
    out[day] = entry;
  }
  return out;
}
// Exceptional closures: the listed ones still ticked, plus the new one when its first day is given.
function closuresOf(form) {
  const list = [...form.querySelectorAll("input[data-closure]")].filter(c => c.checked)
    .map(c => ({ from: c.dataset.from, to: c.dataset.to, reason: c.dataset.reason || undefined }));
  const from = form.querySelector("[data-new=from]").value, to = form.querySelector("[data-new=to]").value;
  const reason = form.querySelector("[data-new=reason]").value.trim();
  if (from) list.push({ from, to: to || from, reason: reason || undefined });
  return list;
}
// The kitchen planning from plain fields, on top of what the fields do not show (bands, profiles…); an empty
// field means the engine's default for that setting.
function planningOf(form, el) {
  const out = el.dataset.current ? JSON.parse(el.dataset.current) : {};
  for (const f of form.querySelectorAll("[data-plan]")) {
    const path = f.dataset.plan.split("."), v = f.value.trim();
    let node = out;
    for (const k of path.slice(0, -1)) node = node[k] = (node[k] && typeof node[k] === "object") ? node[k] : {};
    if (v === "") delete node[path[path.length - 1]]; else node[path[path.length - 1]] = v.replace(",", ".");
  }
  if (out.capacity && Object.keys(out.capacity).length === 0) delete out.capacity;
  return Object.keys(out).length ? out : null;
}
// A dish's options from the text written in its form (see BackOfficePages.optionsText), after the ones kept as
// they were (choices drawn from a category or a list of dishes).
function optionsOf(form, el) {
  const out = el.dataset.current ? JSON.parse(el.dataset.current) : [];
  const area = form.querySelector("[data-options-text]");
  for (const raw of (area ? area.value : "").split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`« ${line} » : écrivez « Nom : choix 1, choix 2 +1,50 ».`);
    let head = line.slice(0, colon).trim();
    const flagsMatch = head.match(/\(([^)]*)\)\s*$/);
    const flags = flagsMatch ? flagsMatch[1].toLowerCase() : "";
    head = head.replace(/\(([^)]*)\)\s*$/, "").trim();
    const max = flags.match(/(?:jusqu'à|jusqu’à|max)\s*(\d+)/);
    // Choices are separated by commas, but not the decimal comma of a price ("Grande +3,00").
    const choices = line.slice(colon + 1).split(/,(?!\d)|(?<!\d),/).map(c => c.trim()).filter(Boolean).map(c => {
      const m = c.match(/^(.*?)\s*([+-])\s*(\d+(?:[.,]\d+)?)\s*€?$/);
      return m ? { label: m[1].trim(), price_modifier: Number((m[2] === "-" ? "-" : "") + m[3].replace(",", ".")) } : { label: c };
    });
    const option = { name: head, type: flags.includes("plusieurs") || max ? "multi_choice" : "single_choice", required: flags.includes("obligatoire"), choices };
    if (max) option.max_choices = Number(max[1]);
    out.push(option);
  }
  return out;
}
function valueOf(el) {
  if (el.type === "checkbox") return el.checked;
  if (el.dataset.type === "options") return optionsOf(el.form, el);
  if (el.dataset.type === "hours") return hoursOf(el.form);
  if (el.dataset.type === "closures") return closuresOf(el.form);
  if (el.dataset.type === "planning") return planningOf(el.form, el);
  const v = el.value.trim();
  // Numbers go as typed ("4,5", "quatre"): the server reads them or refuses them naming the field, so nothing
  // unreadable is saved as empty. Empty means "none" only where the field says so (data-optional).
  if (el.dataset.type === "number") return v === "" ? (el.dataset.optional !== undefined ? null : "") : v;
  if (el.dataset.type === "json") return v === "" ? null : JSON.parse(v);
  if (el.dataset.type === "list") return v.split(",").map(s => s.trim()).filter(Boolean);
  if (el.dataset.optional !== undefined && v === "") return null;
  return v;
}
function clearFieldErrors(form) {
  if (!form) return;
  for (const p of form.querySelectorAll(".field-error")) p.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) { el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby"); }
}
function showFieldError(form, field, message) {
  const el = form && field ? (form.querySelector(`[name="${CSS.escape(field)}"]`) || form.querySelector(`[data-field="${CSS.escape(field)}"]`)) : null;
  if (!el) return false;
  const p = document.createElement("p");
  p.className = "error field-error";
  p.id = "err-" + (el.id || field);
  p.textContent = message;
  el.setAttribute("aria-invalid", "true");
  el.setAttribute("aria-describedby", p.id);
  el.insertAdjacentElement("afterend", p);
  el.focus();
  return true;
}
async function act(spec, body, done, reload, form) {
  const [method, path] = spec.split(" ");
  body.restaurantId = RID;
  clearFieldErrors(form);
  try {
    const json = await api(method, path, body);
    say(done || "Enregistré.");
    // A secret shown once (a new management key): displayed in the form, no reload that would lose it.
    if (form && form.dataset.show) { form.querySelector("output").textContent = json[form.dataset.show]; return; }
    if (reload) location.reload(); else if (window.refresh) window.refresh();
  } catch (err) {
    // What was typed stays in the form; the message goes next to the field at fault.
    showFieldError(form, err.field, err.message);
    say(err.message, true);
  }
}
document.addEventListener("click", e => {
  const b = e.target.closest("button[data-api]");
  if (!b) return;
  e.preventDefault();
  // An action that cannot be taken back asks first.
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  act(b.dataset.api, JSON.parse(b.dataset.body || "{}"), b.dataset.done, b.dataset.reload !== undefined);
});
// A checkbox with data-toggle saves as soon as it is ticked (a dish's availability); the row greys out.
document.addEventListener("change", e => {
  const box = e.target.closest("input[data-toggle]");
  if (!box) return;
  const row = box.closest(".menu-item");
  if (row) row.classList.toggle("unavailable", !box.checked);
  act(box.dataset.toggle, { id: box.dataset.id, isAvailable: box.checked },
      `${box.dataset.name} : ${box.checked ? "disponible" : "indisponible"}, enregistré.`, false);
});
document.addEventListener("submit", e => {
  const f = e.target.closest("form[data-api]");
  if (!f) return;
  e.preventDefault();
  const body = {};
  try {
    for (const el of f.elements) {
      if (!el.name) continue;
      if (el.dataset.omitEmpty !== undefined && el.value === "") continue;
      body[el.name] = valueOf(el);
    }
  } catch (err) { say("Format invalide : " + err.message, true); return; }
  act(f.dataset.api, body, f.dataset.done, f.dataset.reload !== undefined, f);
});
