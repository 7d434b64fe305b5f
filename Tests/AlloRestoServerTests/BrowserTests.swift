import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import AsyncHTTPClient
import FluentKit
import Foundation
import NIOCore
import SipAgentServerDouble
import Testing

/// Headless Chromium (Debian `chromium`) driven over the DevTools protocol by `Tests/Browser/cdp_pages.py`.
/// Screenshots are kept in `.build/test-artifacts/browser/`. Skipped outside CI when Chromium is not installed;
/// in CI (`CI` set) a missing browser is a failure.
enum Browser {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/cdp_pages.py").path
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/test-artifacts/browser").path

    static var installed: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }
    static var enabled: Bool { installed || ProcessInfo.processInfo.environment["CI"] != nil }

    /// Logs in through the real form and returns the session cookie `name=value`.
    static func login(base: String, email: String, password: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = "email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password)&next=%2Fadmin"
        request.body = .bytes(ByteBuffer(string: form))
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        let answer = try? await client.execute(request, timeout: .seconds(10))
        try await client.shutdown()
        guard let response = answer else { throw LiveHTTP.Failure(description: "login request failed") }
        guard let setCookie = response.headers["Set-Cookie"].first, let pair = setCookie.split(separator: ";").first else {
            throw LiveHTTP.Failure(description: "login gave no cookie (HTTP \(response.status.code))")
        }
        return String(pair)
    }

    /// What a person sees on each page: `path → {text, title, url, labelsMissing}`.
    static func visit(base: String, cookie: String?, paths: [String], wait: Int = 2500, width: Int = 390, tag: String) async throws -> JSONValue {
        var args = [script, "--base", base, "--out", artifacts + "/" + tag, "--wait", String(wait), "--width", String(width)]
        if let cookie { args += ["--cookie", cookie] }
        return try await python(args + paths)
    }
}

extension Browser {
    /// Runs `steps` (see `cdp_pages.py`) in one browser page; returns what each `read` step saw.
    static func run(base: String, cookie: String?, steps: JSONValue, wait: Int = 1500, tag: String) async throws -> JSONValue {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("steps-\(UUID().uuidString).json")
        try Data(JSONWriter.encoded(steps)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try? FileManager.default.removeItem(atPath: artifacts + "/" + tag)  // only this run's screenshots
        var args = [script, "--base", base, "--out", artifacts + "/" + tag, "--wait", String(wait), "--steps", file.path]
        if let cookie { args += ["--cookie", cookie] }
        return try await python(args)
    }

    /// Runs the driver script and reads its JSON answer.
    static func python(_ args: [String]) async throws -> JSONValue {
        let result = try await ChildProcess.run("/usr/bin/env", ["python3"] + args)
        guard result.status == 0 else {
            throw LiveHTTP.Failure(description: "browser failed (\(result.status)): \(String(decoding: result.stderr, as: UTF8.self).suffix(2000))")
        }
        return try JSONReader.parse(Array(result.stdout))
    }
}

@Suite(.serialized) struct BrowserTests {
    /// An owner's day in the back office, driven by a real browser against a live server: log in, watch an order
    /// placed by a call appear on the board and move it on with the keyboard, answer a caller's question, take a dish
    /// off the menu — and find both in the next call's `/api/ai`. Every page is kept as a screenshot.
    @Test(.enabled(if: Browser.enabled)) func anOwnersDayInTheBackOffice() async throws {
        try await TestApp.live { app, base in
            _ = try await AdminAccounts.createOrUpdate(email: "luigi@chezluigi.test", password: "correct horse battery", cost: 4, on: app.database)
            let cookie = try await Browser.login(base: base, email: "luigi@chezluigi.test", password: "correct horse battery")
            let auth = ["Authorization": "Bearer \(app.token)", "Content-Type": "application/json"]
            // What the calls of the morning left: a question, a message, a booking.
            let faq = try await LiveHTTP.call(.POST, base + "/api/faq", headers: auth, body: ["restaurantId": .string(app.id), "question": "Est-ce que vous livrez à Montreuil ?"])
            #expect(faq.0 == 200)
            _ = try await LiveHTTP.call(.POST, base + "/api/messages", headers: auth, body: ["restaurantId": .string(app.id), "content": "Rappeler Mme Durand pour un anniversaire samedi", "callerName": "Mme Durand", "callerPhone": "0611223344"])
            _ = try await LiveHTTP.call(.POST, base + "/api/reservations", headers: auth, body: ["restaurantId": .string(app.id), "partySize": 4, "reservationTime": "20:00", "customerName": "Martin", "customerPhone": "0622334455", "callId": "resa-1"])
            let pending: Faq? = try await Faq.query(on: app.database.db).filter(\.$status == "pending").first()
            let question = try #require(pending)
            let qid = question.id!.uuidString.lowercased()
            let bruschetta: MenuItem? = try await MenuItem.query(on: app.database.db).filter(\.$name == "Bruschetta").first()
            let dish = try #require(bruschetta)
            let did = dish.id!.uuidString.lowercased()
            let r = "/admin/r/\(app.id)"
            let number = try #require(try await Restaurant.find(app.restaurantId, on: app.database.db)).lastOrderNumber + 1

            // The board is open while a call places an order (once the driver says it has read the board).
            let boardRead = FileManager.default.temporaryDirectory.appendingPathComponent("board-read-\(UUID().uuidString)")
            async let seen = Browser.run(base: base, cookie: cookie, steps: [
                ["go": "/admin"], ["read": "restaurants"],
                ["go": .string(r)], ["read": "dashboard"],
                ["go": .string(r + "/orders")], ["read": "board-before"], ["signal": .string(boardRead.path)],
                ["waitFor": .string("Commande n° \(number)"), "timeout": 20000], ["read": "board-with-order"],
                ["press": "Enter", "on": .string("#act-\(number)-preparing")],
                ["waitFor": "en préparation", "timeout": 10000], ["read": "board-preparing"],
                ["go": .string(r + "/faq")], ["read": "faq-before"],
                ["fill": .string("#answer-\(qid)"), "value": "Oui, nous livrons Montreuil jusqu'à 23 h."],
                ["click": .string("form:has(#answer-\(qid)) button[type=submit]")],
                ["waitFor": "Répondues", "timeout": 5000], ["waitFor": "nous livrons Montreuil", "timeout": 10000], ["read": "faq-after"],
                ["go": .string(r + "/menu")], ["read": "menu-before"],
                ["click": .string("#avail-\(did)")],
                ["waitFor": "Bruschetta : indisponible, enregistré.", "timeout": 10000], ["read": "menu-after"],
                ["go": .string(r + "/reservations")], ["read": "reservations"],
                ["go": .string(r + "/messages")], ["read": "messages"],
                ["click": "button[data-api='PATCH /api/messages']"], ["sleep": 2000], ["waitFor": "Rappeler Mme Durand", "timeout": 5000], ["read": "messages-read"],
                ["go": .string(r + "/settings")], ["read": "settings"],
                ["fill": "#s-voice", "value": "coral"], ["fill": "#s-welcome", "value": "Buongiorno, ici Luigi !"],
                ["click": "form:has(#s-voice) button[type=submit]"], ["waitFor": "Agent vocal enregistré.", "timeout": 10000],
                ["fill": "#s-fee", "value": "4,20"], ["click": "form:has(#s-fee) button[type=submit]"], ["waitFor": "Livraison enregistrée.", "timeout": 10000],
                ["fill": "#l-domain", "value": "sip.ovh.fr"], ["fill": "#l-user", "value": "0033972000001"], ["fill": "#l-password", "value": "mot-de-passe-ovh"],
                ["click": "form:has(#l-domain) button[type=submit]"], ["waitFor": "Ligne téléphonique enregistrée.", "timeout": 10000], ["read": "settings-saved"],
                ["fill": "#d-name", "value": "Brunch du dimanche"], ["fill": "#d-days", "value": "7"], ["fill": "#d-start", "value": "11:00"],
                ["fill": "#d-end", "value": "15:00"], ["fill": "#d-covers", "value": "30"], ["click": "form:has(#d-name) button[type=submit]"],
                ["sleep": 1500], ["waitFor": "Brunch du dimanche", "timeout": 10000],
                ["fill": "#o-name", "value": "Menu anniversaire"], ["fill": "#o-price", "value": "32"], ["fill": "#o-min", "value": "6"],
                ["click": "form:has(#o-name) button[type=submit]"], ["sleep": 1500], ["waitFor": "Menu anniversaire", "timeout": 10000],
                ["fill": "#b-phone", "value": "07 12 34 56 78"], ["fill": "#b-reason", "value": "appels répétés"], ["click": "form:has(#b-phone) button[type=submit]"],
                ["sleep": 1500], ["waitFor": "+33712345678", "timeout": 10000], ["read": "settings-lists"],
                ["go": .string(r + "/calls")], ["read": "calls"],
            ], tag: "back-office")
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: boardRead.path) { try await Task.sleep(for: .milliseconds(100)) }
            let placed = try await LiveHTTP.call(.POST, base + "/api/ai/tools/confirm-order", headers: auth, body: [
                "restaurantId": .string(app.id), "order_type": "pickup", "items": [["id": 3, "quantity": 1, "selected_options": [["name": "Taille", "choice": "Grande"]]]],
                "call_id": "board-call", "caller_phone": "0655443322", "customer_name": "Sophie",
            ])
            #expect(placed.1["order_number"] == .int(number))
            let pages = try await seen

            for (name, page) in pages.objectValue ?? [:] where name != "dialogs" {
                #expect(page["labelsMissing"] == 0, "unlabelled control on \(name)")
                #expect(page["url"]?.stringValue?.hasPrefix("/login") == false, "\(name) asked to log in")
            }
            #expect(pages["restaurants"]?["text"]?.stringValue?.contains("Chez Luigi") == true)
            #expect(pages["dashboard"]?["text"]?.stringValue?.contains("1 question(s) en attente de réponse") == true)
            #expect(pages["board-before"]?["text"]?.stringValue?.contains("Commande n° \(number)") == false)
            let board = try #require(pages["board-with-order"]?["text"]?.stringValue)
            #expect(board.contains("Sophie") && board.contains("1 × Margherita (Grande)"))
            #expect(pages["faq-before"]?["text"]?.stringValue?.contains("Est-ce que vous livrez à Montreuil ?") == true)
            #expect(pages["reservations"]?["text"]?.stringValue?.contains("Martin") == true)
            #expect(pages["messages"]?["text"]?.stringValue?.contains("Non lu") == true)
            #expect(pages["messages-read"]?["text"]?.stringValue?.contains("Non lu") == false)
            #expect(pages["settings"]?["text"]?.stringValue?.contains("Ligne téléphonique") == true)

            // What the next call sees.
            let order: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "board-call").first()
            #expect(order?.status == "preparing")
            let next = try await LiveHTTP.call(.GET, base + app.aiURI(), headers: ["Authorization": "Bearer \(app.token)"])
            #expect(next.1["systemPrompt"]?.stringValue?.contains("Oui, nous livrons Montreuil jusqu'à 23 h.") == true)
            let orderable = Set(next.1["itemMap"]?.objectValue?.values.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(!orderable.contains("Bruschetta") && orderable.contains("Margherita"))
            #expect(try await MenuItem.find(dish.id, on: app.database.db)?.isAvailable == false)
            #expect(next.1["voice"] == "coral")
            #expect(next.1["greeting"]?.stringValue?.contains("Buongiorno, ici Luigi !") == true)
            #expect(next.1["systemPrompt"]?.stringValue?.contains("4,20") == true)
            #expect(next.1["sipCredentials"] == ["domain": "sip.ovh.fr", "username": "0033972000001", "password": "mot-de-passe-ovh", "source": "client"])
            #expect(next.1["systemPrompt"]?.stringValue?.contains("Brunch du dimanche") == true)
            #expect(next.1["systemPrompt"]?.stringValue?.contains("Menu anniversaire") == true)
            let check = try await LiveHTTP.call(.GET, base + "/api/blocked-phones/check?restaurantId=\(app.id)&phone=0712345678", headers: ["Authorization": "Bearer \(app.token)"])
            #expect(check.1["blocked"] == true && check.1["reason"] == "appels répétés")
            #expect(try await Message.query(on: app.database.db).filter(\.$isRead == false).count() == 0)
        }
    }

    /// An owner running a service on a phone (390 px): a new order rings in the title and stays highlighted until
    /// seen, the board keeps its order and the focus, a cancel asks first; "plus de commandes ce soir" and back; the
    /// printable ticket; the call's transcript linked to its order; hours, a closure and the planning in plain
    /// fields (a word where a number goes is refused next to the field); a 404 page. Then the same pages on a
    /// desktop (1280 px). Screenshots of both are kept.
    @Test(.enabled(if: Browser.enabled)) func anOwnerRunsAServiceOnAPhoneAndADesktop() async throws {
        try await TestApp.live { app, base in
            let db = app.database.db
            try await RoleMatrixTests.account("patron@luigi.test", role: .owner, of: app.restaurantId, on: app.database)
            let cookie = try await Browser.login(base: base, email: "patron@luigi.test", password: "un mot de passe solide")
            let auth = ["Authorization": "Bearer \(app.token)", "Content-Type": "application/json"]
            let r = "/admin/r/\(app.id)"
            // An order of the morning, already on the board when it opens (seen), and the call that left it.
            let first = try await LiveHTTP.call(.POST, base + "/api/ai/tools/confirm-order", headers: auth, body: [
                "restaurantId": .string(app.id), "order_type": "pickup", "items": [["id": 8, "quantity": 2]], "call_id": "matin-1",
                "caller_phone": "0611223344", "customer_name": "Paul", "payment_method": "card",
            ])
            let firstNumber = try #require(first.1["order_number"]?.intValue)
            _ = try await LiveHTTP.call(.POST, base + "/api/calls", headers: auth, body: [
                "restaurantId": .string(app.id), "callId": "matin-1", "callerPhone": "0611223344", "durationSec": 95, "outcome": "completed",
                "transcript": [["role": "assistant", "content": "Chez Luigi, bonjour !"], ["role": "user", "content": "Deux tiramisus à emporter, s'il vous plaît."]],
            ])
            let number = firstNumber + 1
            let pizzas = try #require(try await MenuCategory.query(on: db).filter(\.$name == "Pizzas").first()?.id?.uuidString.lowercased())
            let bruschetta = try #require(try await MenuItem.query(on: db).filter(\.$name == "Bruschetta").first()?.id?.uuidString.lowercased())
            let boardRead = FileManager.default.temporaryDirectory.appendingPathComponent("board-read-\(UUID().uuidString)")
            async let seen = Browser.run(base: base, cookie: cookie, steps: [
                ["go": .string(r + "/orders")], ["read": "board-before"], ["signal": .string(boardRead.path)],
                ["waitFor": .string("Commande n° \(number)"), "timeout": 20000], ["read": "board-new"],
                ["click": .string("#seen-\(number)")], ["sleep": 1000], ["read": "board-seen"],
                ["press": "Enter", "on": .string("#act-\(number)-preparing")], ["waitFor": "en préparation", "timeout": 10000], ["sleep": 3500],
                ["read": "board-after-refresh"],
                ["click": .string("#act-\(firstNumber)-cancelled")], ["waitFor": "annulée", "timeout": 10000], ["read": "board-cancelled"],
                ["click": "#pause"], ["waitFor": "Commandes suspendues", "timeout": 10000], ["read": "board-paused"],
                ["click": "#resume"], ["waitFor": "Plus de commandes ce soir", "timeout": 10000],
                ["go": .string(r + "/calls")], ["click": "details summary"], ["read": "calls"],
                ["go": .string(r + "/settings")],
                ["click": "#h-monday-closed"], ["fill": "#h-tuesday-open", "value": "12:00"],
                ["click": "form:has(#h-monday-closed) button[type=submit]"], ["waitFor": "Horaires enregistrés.", "timeout": 10000],
                ["fill": "#c-new-from", "value": "2026-12-24"], ["fill": "#c-new-to", "value": "2026-12-26"], ["fill": "#c-new-reason", "value": "Noël"],
                ["click": "form:has(#c-new-from) button[type=submit]"], ["waitFor": "Fermé du jeudi 24 décembre au samedi 26 décembre (Noël)", "timeout": 10000],
                ["fill": "#p-slotMin", "value": "quatre"], ["click": "form:has(#p-slotMin) button[type=submit]"],
                ["waitFor": "un nombre est attendu", "timeout": 10000], ["read": "planning-refused"],
                ["fill": "#p-slotMin", "value": "10"], ["fill": "#p-capacity-cuisine", "value": "8"],
                ["click": "form:has(#p-slotMin) button[type=submit]"], ["waitFor": "Planification enregistrée.", "timeout": 10000], ["read": "settings"],
                ["go": .string(r)], ["read": "dashboard"],
                // The menu: a dish added with its allergens and options written as text (a line without ":" is
                // refused first), another one removed.
                ["go": .string(r + "/menu")], ["click": .string("details:has(#new-name-\(pizzas)) summary")],
                ["fill": .string("#new-name-\(pizzas)"), "value": "Pizza Regina"], ["fill": .string("#new-price-\(pizzas)"), "value": "12,50"],
                ["fill": .string("#new-allergens-\(pizzas)"), "value": "gluten, lait"],
                ["fill": .string("#new-options-\(pizzas)"), "value": "Taille normale ou grande"],
                ["click": .string("form:has(#new-name-\(pizzas)) button[type=submit]")], ["waitFor": "écrivez « Nom : choix 1", "timeout": 5000],
                ["fill": .string("#new-options-\(pizzas)"), "value": "Taille (obligatoire) : Normale, Grande +3,00\nSuppléments (jusqu'à 2) : Œuf +1, Jambon +2,50"],
                ["click": .string("form:has(#new-name-\(pizzas)) button[type=submit]")], ["waitFor": "Pizza Regina", "timeout": 10000],
                ["click": .string("#item-\(bruschetta) button[data-api='DELETE /api/menu']")], ["sleep": 2500], ["read": "menu-edited"],
                // A booking taken by hand (a walk-in), then its notes edited, then the week.
                ["go": .string(r + "/reservations")], ["fill": "#new-time", "value": "20:00"], ["fill": "#new-party", "value": "4"],
                ["fill": "#new-name", "value": "Durand"], ["fill": "#new-phone", "value": "06 11 11 11 11"],
                ["click": "form:has(#new-time) button[type=submit]"], ["waitFor": "Durand", "timeout": 10000],
                ["fill": "form[data-api='PATCH /api/reservations'] [name=notes]", "value": "Anniversaire, gâteau à 21h"],
                ["fill": "form[data-api='PATCH /api/reservations'] [name=reservationTime]", "value": "20:30"],
                ["fill": "form[data-api='PATCH /api/reservations'] [name=partySize]", "value": "5"],
                ["click": "form[data-api='PATCH /api/reservations'] button[type=submit]"], ["waitFor": "Anniversaire, gâteau à 21h", "timeout": 10000],
                ["read": "reservations"],
                ["go": .string(r + "/reservations?view=semaine&date=2026-11-26")], ["read": "reservations-week"],
                ["go": .string(r + "/room")], ["fill": "#room-name", "value": "Terrasse"], ["click": "form:has(#room-name) button[type=submit]"],
                ["waitFor": "Terrasse (0 table(s))", "timeout": 10000],
                ["fill": "#table-label", "value": "T12"], ["fill": "#table-seats", "value": "4"], ["click": "form:has(#table-label) button[type=submit]"],
                ["waitFor": "T12", "timeout": 10000], ["read": "room"],
                ["go": .string(r + "/kitchen")], ["read": "kitchen"],
                ["go": "/admin/page-qui-n-existe-pas"], ["read": "not-found"],
            ], tag: "owner-phone")
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: boardRead.path) { try await Task.sleep(for: .milliseconds(100)) }
            let placed = try await LiveHTTP.call(.POST, base + "/api/ai/tools/confirm-order", headers: auth, body: [
                "restaurantId": .string(app.id), "order_type": "pickup", "items": [["id": 3, "quantity": 1, "selected_options": [["name": "Taille", "choice": "Grande"]]]],
                "call_id": "midi-2", "caller_phone": "0655443322", "customer_name": "Sophie", "payment_method": "cash",
            ])
            #expect(placed.1["order_number"] == .int(number))
            let pages = try await seen
            for (name, page) in pages.objectValue ?? [:] where name != "dialogs" {
                #expect(page["labelsMissing"] == 0, "unlabelled control on \(name)")
            }
            #expect(pages["board-before"]?["title"] == "Commandes — AlloResto")
            let fresh = try #require(pages["board-new"])
            #expect(fresh["title"] == "(1) Commandes — AlloResto", "a count in the title")
            let freshText = fresh["text"]?.stringValue ?? ""
            #expect(freshText.contains("Nouvelle") && freshText.contains("espèces") && freshText.contains("+33655443322"))
            #expect(freshText.contains("dont 1 nouvelle"))
            // Sorted by ready time: the morning's order (earlier) comes first.
            if let a = freshText.range(of: "Commande n° \(firstNumber)"), let b = freshText.range(of: "Commande n° \(number)") { #expect(a.lowerBound < b.lowerBound) }
            #expect(pages["board-seen"]?["title"] == "Commandes — AlloResto")
            #expect(pages["board-seen"]?["text"]?.stringValue?.contains("Nouvelle") == false)
            #expect(pages["board-after-refresh"]?["text"]?.stringValue?.contains("carte bancaire") == true)
            #expect(pages["dialogs"]?.arrayValue?.compactMap(\.stringValue).contains { $0.hasPrefix("Annuler la commande n° \(firstNumber)") } == true)
            #expect(pages["dialogs"]?.arrayValue?.compactMap(\.stringValue).contains { $0.hasPrefix("Ne plus prendre de commandes ce soir") } == true)
            #expect(pages["board-paused"]?["text"]?.stringValue?.contains("Commandes suspendues jusqu'à") == true)
            let calls = pages["calls"]?["text"]?.stringValue ?? ""
            #expect(calls.contains("commande passée") && calls.contains("commande n° \(firstNumber)") && calls.contains("Deux tiramisus à emporter"))
            #expect(calls.contains("Agent : Chez Luigi, bonjour !"))
            #expect(pages["planning-refused"]?["text"]?.stringValue?.contains("planningConfig.slotMin : un nombre est attendu.") == true)
            #expect(pages["dashboard"]?["text"]?.stringValue?.contains("Les sept derniers jours") == true)
            #expect(pages["not-found"]?["title"] == "Page introuvable — AlloResto")
            #expect(pages["room"]?["text"]?.stringValue?.contains("4 place(s) en tout") == true)
            let booked = try #require(try await Reservation.query(on: db).filter(\.$customerName == "Durand").first())
            #expect(booked.partySize == 5 && booked.source == "dashboard" && booked.customerPhone == "+33611111111" && booked.notes == "Anniversaire, gâteau à 21h")
            #expect(RestaurantTime(identifier: "Europe/Paris").local(booked.reservationTime).time.description == "20:30")
            let weekText = pages["reservations-week"]?["text"]?.stringValue ?? ""
            #expect(weekText.contains("Semaine du jeudi 26 novembre") && weekText.contains("1 résa · 5 couv."), "\(weekText.prefix(500))")
            let kitchen = pages["kitchen"]?["text"]?.stringValue ?? ""
            #expect(kitchen.contains("Cuisine du jeudi 26 novembre") && kitchen.contains("13h"), "\(kitchen.prefix(400))")
            #expect(kitchen.contains("à emporter") && kitchen.contains("en préparation"))

            // What the owner's clicks left.
            let saved = try #require(try await Restaurant.find(app.restaurantId, on: db))
            let hours = try JSONReader.parse(Array(saved.openingHours.utf8))
            #expect(hours["monday"] == .null && hours["tuesday"]?["open"] == "12:00" && hours["tuesday"]?["close2"] == "23:00")
            #expect(saved.profile.closures == [Closure(from: LocalDate(iso: "2026-12-24")!, to: LocalDate(iso: "2026-12-26")!, reason: "Noël")])
            let planning = try JSONReader.parse(Array((saved.planningConfig ?? "{}").utf8))
            #expect(planning["slotMin"] == 10 && planning["capacity"]?["cuisine"] == 8)
            #expect(saved.ordersPausedUntil == nil)
            let menuText = pages["menu-edited"]?["text"]?.stringValue ?? ""
            #expect(menuText.contains("Pizza Regina — 12,50 €") && menuText.contains("Allergènes : gluten, lait") && !menuText.contains("Bruschetta"))
            let regina = try #require(try await MenuItem.query(on: db).filter(\.$name == "Pizza Regina").first())
            #expect(regina.price == 1250 && regina.info.allergens == ["gluten", "lait"])
            #expect(regina.info.options.map(\.name) == ["Taille", "Suppléments"] && regina.info.options[0].required && regina.info.options[1].maxChoices == 2)
            #expect(regina.info.options[0].choices == [OptionChoice(label: "Normale"), OptionChoice(label: "Grande", priceModifierMinor: 300)])
            #expect(regina.info.options[1].choices.last == OptionChoice(label: "Jambon", priceModifierMinor: 250))
            #expect(try await MenuItem.query(on: db).filter(\.$name == "Bruschetta").count() == 0)
            let orders: [Order] = try await Order.query(on: db).sort(\.$orderNumber).all()
            #expect(orders.suffix(2).map(\.status) == ["cancelled", "preparing"])
            let ticketOrder = try #require(orders.last?.id?.uuidString.lowercased())

            // The ticket, and the same pages on a desktop.
            let desktop = try await Browser.visit(base: base, cookie: cookie, paths: [
                r, r + "/orders", r + "/orders/\(ticketOrder)/ticket", r + "/calls", r + "/settings", r + "/reservations",
            ], width: 1280, tag: "owner-desktop")
            for (path, page) in desktop.objectValue ?? [:] { #expect(page["labelsMissing"] == 0, "unlabelled control on \(path)") }
            let ticket = desktop[r + "/orders/\(ticketOrder)/ticket"]?["text"]?.stringValue ?? ""
            #expect(ticket.contains("Commande n° \(number)") && ticket.contains("Sophie") && ticket.contains("Paiement : espèces") && ticket.contains("Imprimer"))
        }
    }

    @Test(.enabled(if: Browser.enabled)) func adminServersPageWithTheVoiceServerUpAndDown() async throws {
        let double = SipAgentServer(apiKey: "sas-key")
        for w: JSON in [["id": "w-1", "name": "worker-paris-1", "state": "busy", "currentCall": "CA7781"], ["id": "w-2", "name": "worker-paris-2", "state": "idle"]] { double.addWorker(w) }
        try await double.run { sas in
            try await TestApp.live(configure: { $0.sipAgentServerURL = sas; $0.sipAgentServerAPIKey = "sas-key" }) { app, base in
                _ = await SipAgentIntegrationTests.provisioner(app, sipAgentServer: sas, publicURL: base).provision(app.restaurantId)
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")

                let up = try await Browser.visit(base: base, cookie: cookie, paths: ["/admin/servers"], tag: "servers-up")
                let page = try #require(up["/admin/servers"])
                let text = try #require(page["text"]?.stringValue)
                #expect(page["title"] == "Serveurs vocaux — AlloResto")
                #expect(text.contains("worker-paris-1") && text.contains("busy") && text.contains("CA7781"))
                #expect(text.contains("worker-paris-2") && text.contains("idle"))
                #expect(text.contains("Chez Luigi") && text.contains("sip_bridge"))
                #expect(!text.contains("injoignable"))
                #expect(page["labelsMissing"] == 0)

                // The voice server fails: a banner, empty tables, and the page keeps working.
                double.set(.failing)
                let down = try await Browser.visit(base: base, cookie: cookie, paths: ["/admin/servers"], tag: "servers-down")
                let downText = try #require(down["/admin/servers"]?["text"]?.stringValue)
                #expect(downText.contains("Le serveur vocal (sip-agent-server) est injoignable"))
                #expect(!downText.contains("worker-paris-1"))
                double.set(.up)

                // Without a session: the login page, not the data.
                let anonymous = try await Browser.visit(base: base, cookie: nil, paths: ["/admin/servers"], wait: 1000, tag: "servers-anonymous")
                #expect(anonymous["/admin/servers"]?["url"] == "/login")
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func adminServersAPIOnlineOfflineAndAdminOnly(_ kind: String) async throws {
        let double = SipAgentServer()
        double.addWorker(["id": "w-1", "name": "worker-1", "state": "idle"])
        try await double.run { sas in
            try await TestApp.live(kind, configure: { $0.sipAgentServerURL = sas }) { app, base in
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                let online = try await LiveHTTP.call(.GET, base + "/api/admin/servers", headers: ["Cookie": cookie])
                #expect(online.0 == 200 && online.1["serverOnline"] == true)
                #expect(online.1["workers"]?.arrayValue?.first?["name"] == "worker-1")
                // The agent token is not an admin session: refused by name (403).
                #expect(try await LiveHTTP.call(.GET, base + "/api/admin/servers", headers: ["Authorization": "Bearer \(app.token)"]).0 == 403)
            }
            // sip-agent-server down: offline, empty lists, never an error.
            try await TestApp.live(kind, configure: { $0.sipAgentServerURL = "http://127.0.0.1:9" }) { app, base in
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                let offline = try await LiveHTTP.call(.GET, base + "/api/admin/servers", headers: ["Cookie": cookie])
                #expect(offline.0 == 200)
                #expect(offline.1["serverOnline"] == false && offline.1["workers"] == [] && offline.1["agents"] == [])
            }
        }
    }
}

/// Accounts as people use them, in headless Chromium with mail through a real SMTP server (aiosmtpd).
@Suite(.serialized) struct AccountBrowserTests {
    /// A platform admin invites the owner of Chez Luigi by e-mail; the owner opens the mailed link, sets a password,
    /// lands on their restaurant (another one is refused), and invites a waiter from the Équipe page. The waiter
    /// sets a password from their mail, moves an order on the board and seats a reservation from the page, but
    /// cannot open the settings (no link, and 403). The owner's audit page shows each change.
    @Test(.enabled(if: Browser.enabled && SMTPSink.available)) func anOwnerInvitedByMailRunsTheRestaurantWithAWaiter() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await TestApp.live(configure: {
            $0.bcryptCost = 4
            $0.smtp = try? SMTPSettings.parse("smtp://127.0.0.1:\(sink.port)?tls=none")
        }) { app, base in
            let other = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument
                .replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db).restaurantId
            _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "un mot de passe solide", cost: 4, on: app.database)
            let admin = try await Browser.login(base: base, email: "ops@alloresto.test", password: "un mot de passe solide")
            let invited = try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": admin, "Origin": base],
                                                  body: ["restaurantId": .string(app.id), "email": "patron@luigi.test", "role": "owner"])
            #expect(invited.0 == 201)
            let ownerLink = try #require(AccountTests.link(in: await sink.awaitMessages(1).last?.text ?? "", "/invite/"))
            let r = "/admin/r/\(app.id)"
            let owner = try await Browser.run(base: base, cookie: nil, steps: [
                ["go": .string(ownerLink)], ["read": "invitation"],
                ["fill": "#password", "value": "le mot de passe du patron"], ["fill": "#password2", "value": "le mot de passe du patron"],
                ["click": "form[action='/invite'] button[type=submit]"], ["waitFor": "Tableau de bord", "timeout": 10000], ["read": "owner-home"],
                ["go": .string("/admin/r/\(other.uuidString.lowercased())")], ["read": "other-restaurant"],
                ["go": .string(r + "/team")], ["read": "team"],
                ["fill": "#invite-email", "value": "serveur@luigi.test"], ["click": "form[data-api='POST /api/members'] button[type=submit]"],
                ["waitFor": "Invitation envoyée.", "timeout": 10000], ["read": "team-invited"],
            ], tag: "owner-invited")
            #expect(owner["invitation"]?["text"]?.stringValue?.contains("Chez Luigi") == true)
            let home = try #require(owner["owner-home"])
            #expect(home["url"]?.stringValue == r && home["text"]?.stringValue?.contains("Chez Luigi") == true, "\(home)")
            #expect(home["text"]?.stringValue?.contains("Serveurs vocaux") == false)
            #expect(owner["other-restaurant"]?["text"]?.stringValue?.contains("n'est pas dans votre compte") == true)
            #expect(owner["team"]?["text"]?.stringValue?.contains("patron@luigi.test") == true)

            // The waiter: an order placed by a call, a booking for tonight.
            let auth = ["Authorization": "Bearer \(app.token)", "Content-Type": "application/json"]
            let placed = try await LiveHTTP.call(.POST, base + "/api/ai/tools/confirm-order", headers: auth, body: [
                "restaurantId": .string(app.id), "order_type": "pickup", "items": [["id": 3, "quantity": 1, "selected_options": [["name": "Taille", "choice": "Grande"]]]],
                "call_id": "waiter-call", "caller_phone": "0655443322", "customer_name": "Sophie",
            ])
            let number = try #require(placed.1["order_number"]?.intValue)
            _ = try await LiveHTTP.call(.POST, base + "/api/reservations", headers: auth, body: [
                "restaurantId": .string(app.id), "partySize": 4, "reservationTime": "20:00", "customerName": "Martin", "customerPhone": "0622334455", "callId": "resa-w",
            ])
            let waiterLink = try #require(AccountTests.link(in: await sink.awaitMessages(2).last?.text ?? "", "/invite/"))
            let waiter = try await Browser.run(base: base, cookie: nil, steps: [
                ["go": .string(waiterLink)],
                ["fill": "#password", "value": "le mot de passe du serveur"], ["fill": "#password2", "value": "le mot de passe du serveur"],
                ["click": "form[action='/invite'] button[type=submit]"], ["waitFor": "Tableau de bord", "timeout": 10000], ["read": "waiter-home"],
                ["go": .string(r + "/orders")], ["waitFor": .string("Commande n° \(number)"), "timeout": 10000],
                ["click": .string("#act-\(number)-preparing")], ["waitFor": "en préparation", "timeout": 10000], ["read": "board"],
                ["go": .string(r + "/reservations")], ["read": "reservations"],
                ["click": "button[data-body*='seated']"], ["sleep": 1500], ["waitFor": "installée", "timeout": 10000], ["read": "seated"],
                ["go": .string(r + "/settings")], ["read": "settings"],
            ], tag: "waiter")
            let nav = waiter["waiter-home"]?["text"]?.stringValue ?? ""
            #expect(nav.contains("Commandes") && !nav.contains("Réglages") && !nav.contains("Équipe"), "\(nav)")
            #expect(waiter["settings"]?["text"]?.stringValue?.contains("Votre rôle ne permet pas") == true)
            #expect(waiter["seated"]?["text"]?.stringValue?.contains("installée") == true)
            let order: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "waiter-call").first()
            #expect(order?.status == "preparing")
            let booking: Reservation? = try await Reservation.query(on: app.database.db).filter(\.$callId == "resa-w").first()
            #expect(booking?.status == "seated")

            // The owner's audit page shows who did what.
            let ownerCookie = try await Browser.login(base: base, email: "patron@luigi.test", password: "le mot de passe du patron")
            let audit = try await Browser.run(base: base, cookie: ownerCookie, steps: [["go": .string(r + "/audit")], ["read": "audit"]], tag: "audit")
            let log = audit["audit"]?["text"]?.stringValue ?? ""
            #expect(log.contains("a invité serveur@luigi.test") && log.contains("serveur@luigi.test") && log.contains("commande n° \(number)") && log.contains("seated"), "\(log)")
            for (name, page) in (owner.objectValue ?? [:]).merging(waiter.objectValue ?? [:]) { a, _ in a } {
                #expect(page["labelsMissing"] == 0 || page["labelsMissing"] == nil, "unlabelled control on \(name)")
            }
        }
    }
}
