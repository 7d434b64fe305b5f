import Foundation

/// A time as a caller says it and a language model writes it, read exactly or not at all: 24-hour (`19:30`,
/// `19h30`, `19 h 30`, `19:30:00`, `19 heures 30`, `19h et demie`, `20h moins le quart`), 12-hour (`7:30 PM`,
/// `7 pm`, `7h30 du soir`), words (`midi`, `minuit`, `midi et demi`), relative (`dans une demi-heure`,
/// `dans 20 minutes`, `in 1 hour`), "as soon as possible" (`maintenant`, `dès que possible`, `asap`), and ISO 8601
/// with an offset (an instant) or without one (the restaurant's local time).
public enum SpokenTime: Sendable, Equatable {
    case asap
    case inMinutes(Int)
    /// A time of day; `ambiguous` when said on a 12-hour clock without am/pm (`7:30` is 07:30 or 19:30).
    case clock(TimeOfDay, ambiguous: Bool)
    case instant(Date)
    case local(LocalDate, TimeOfDay)

    /// Lowercased, accents folded, apostrophes and spaces normalized.
    static func normalized(_ raw: String) -> String {
        raw.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "fr_FR"))
            .lowercased().replacingOccurrences(of: "’", with: "'")
            .split(whereSeparator: { $0 == " " || $0 == "\u{00A0}" || $0 == "\t" }).joined(separator: " ")
    }

    static let asapWords: Set<String> = [
        "maintenant", "asap", "des que possible", "le plus tot possible", "au plus tot", "now", "tout de suite", "as soon as possible",
        "le plus vite possible", "immediatement", "des maintenant",
    ]

    static func match(_ pattern: String, _ text: String) -> [String?]? {
        guard let re = try? NSRegularExpression(pattern: "^" + pattern + "$") else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        guard let m = re.firstMatch(in: text, range: range) else { return nil }
        return (1..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } }
    }

    /// Minutes of a duration: `une demi-heure`, `un quart d'heure`, `20 minutes`, `1h30`, `une heure et demie`.
    static func duration(_ t: String) -> Int? {
        let words: [String: Int] = [
            "une demi-heure": 30, "une demi heure": 30, "une demie heure": 30, "half an hour": 30, "a half hour": 30,
            "un quart d'heure": 15, "quart d'heure": 15, "a quarter of an hour": 15, "a quarter hour": 15,
            "une heure": 60, "an hour": 60, "one hour": 60, "une heure et demie": 90, "une heure et quart": 75, "trois quarts d'heure": 45,
            "deux heures": 120,
        ]
        if let w = words[t] { return w }
        if let m = match(#"(\d{1,3}) ?(?:minutes?|mins?|mn)"#, t), let n = m[0].flatMap(Int.init) { return n }
        if let m = match(#"(\d{1,2}) ?(?:h|heures?|hours?)(?: ?(\d{1,2})(?: ?(?:min|minutes?))?)?"#, t), let h = m[0].flatMap(Int.init) {
            return h * 60 + (m[1].flatMap(Int.init) ?? 0)
        }
        return nil
    }

    static func time(_ hour: Int, _ minute: Int) -> TimeOfDay? {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        return TimeOfDay(minutes: (hour % 24) * 60 + minute)
    }

    /// Reads `raw`; nil when it is not a time said in one of the accepted forms.
    public static func parse(_ raw: String) -> SpokenTime? {
        let t = normalized(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !t.isEmpty else { return nil }
        if asapWords.contains(t) { return .asap }
        // ISO 8601: with an offset an instant, without one the restaurant's local time.
        if let m = match(#"(\d{4}-\d{2}-\d{2})[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(z|[+-]\d{2}(?::?\d{2})?)?"#, t) {
            guard let day = LocalDate(iso: m[0]!), let h = Int(m[1]!), let mi = Int(m[2]!), let tod = time(h, mi), h < 24 else { return nil }
            if m[4] != nil {
                let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "T")
                if let d = try? Date(text, strategy: .iso8601) { return .instant(d) }
                if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return .instant(d) }
                return nil
            }
            return .local(day, tod)
        }
        if let m = match(#"(?:dans|in) (.+)"#, t), let minutes = duration(m[0]!), (1...24 * 60).contains(minutes) { return .inMinutes(minutes) }
        // Midday and midnight, with their halves and quarters.
        if let m = match(#"(midi|minuit)(?: (et demie?|et quart|moins le quart|trente|quinze|(\d{1,2})))?"#, t) {
            let base = m[0] == "midi" ? 12 * 60 : 0
            var offset = 0
            switch m[1] {
            case nil: offset = 0
            case "et demi", "et demie", "trente": offset = 30
            case "et quart", "quinze": offset = 15
            case "moins le quart": offset = -15
            default:
                guard let n = m[2].flatMap(Int.init), (0...59).contains(n) else { return nil }
                offset = n
            }
            return .clock(TimeOfDay(minutes: (base + offset + 1440) % 1440), ambiguous: false)
        }
        // 12-hour clock with am/pm.
        if let m = match(#"(\d{1,2})(?:[:h.](\d{2}))? ?(am|pm|a\.m\.|p\.m\.)"#, t), let h = Int(m[0]!), (1...12).contains(h) {
            let mi = m[1].flatMap(Int.init) ?? 0
            let pm = m[2]!.hasPrefix("p")
            guard let tod = time(h % 12 + (pm ? 12 : 0), mi) else { return nil }
            return .clock(tod, ambiguous: false)
        }
        // French day parts: "7h30 du soir", "8 heures du matin", "3h de l'apres-midi".
        if let m = match(#"(\d{1,2}) ?(?:h|heures?) ?(\d{2})? ?(du matin|du soir|de l'apres-midi|de l'apres midi|de la nuit)"#, t), let h = Int(m[0]!), (1...12).contains(h) {
            let afternoon = m[2]!.contains("soir") || m[2]!.contains("apres")
            guard let tod = time(h % 12 + (afternoon ? 12 : 0), m[1].flatMap(Int.init) ?? 0) else { return nil }
            return .clock(tod, ambiguous: false)
        }
        // Halves and quarters: "19h et demie", "20 heures moins le quart".
        if let m = match(#"(\d{1,2}) ?(?:h|heures?) ?(et demie?|et quart|moins le quart)"#, t), let h = Int(m[0]!), h < 24 {
            let offset = m[1]!.hasPrefix("et d") ? 30 : m[1] == "et quart" ? 15 : -15
            let minutes = (h * 60 + offset + 1440) % 1440
            return .clock(TimeOfDay(minutes: minutes), ambiguous: (1...11).contains(h) && !m[0]!.hasPrefix("0"))
        }
        // 24-hour clock (or a 12-hour one without am/pm: ambiguous).
        if let m = match(#"(\d{1,2}) ?(?::|h|heures?|\.)? ?(\d{2})?(?: ?(?:min|minutes))?(?::(\d{2}))?"#, t), let h = Int(m[0]!) {
            if m[2] != nil, m[1] == nil { return nil }
            guard let tod = time(h, m[1].flatMap(Int.init) ?? 0) else { return nil }
            return .clock(tod, ambiguous: (1...11).contains(h) && !m[0]!.hasPrefix("0"))
        }
        return nil
    }

    /// The instant meant, in the restaurant's zone; nil for `asap`. A time of day without `day` is its next
    /// occurrence (never in the past beyond `grace`); an ambiguous one (`7:30`) is whichever of 07:30 and 19:30
    /// comes first at which `serviceable` holds, the first day's reading preferred (else simply the first to come).
    public func resolve(clock: RestaurantTime, now: Date, day: LocalDate? = nil, grace: TimeInterval = 0, serviceable: ((Date) -> Bool)? = nil) -> Date? {
        switch self {
        case .asap: return nil
        case .inMinutes(let n): return now.addingTimeInterval(TimeInterval(n * 60))
        case .instant(let d): return d
        case .local(let d, let t): return clock.instant(d, t)
        case .clock(let t, let ambiguous):
            let times = ambiguous ? [t, TimeOfDay(minutes: t.minutes + 12 * 60)] : [t]
            let today = clock.localDate(now)
            let days = day.map { [$0] } ?? [today, today.adding(days: 1)]
            let candidates = days.flatMap { d in times.map { clock.instant(d, $0) } }.sorted()
            let upcoming = day == nil ? candidates.filter { $0 >= now.addingTimeInterval(-grace) } : candidates
            // Opening hours only decide between the two readings of a 12-hour time; an unambiguous time is its next
            // occurrence even when the restaurant is closed then (the check says so and proposes another time).
            if ambiguous, let serviceable, let first = upcoming.first {
                let sameDay = upcoming.filter { clock.localDate($0) == clock.localDate(first) }
                if let open = sameDay.first(where: serviceable) ?? upcoming.first(where: serviceable) { return open }
            }
            return upcoming.first ?? candidates.last
        }
    }
}

/// A day as a caller says it: `YYYY-MM-DD`, `aujourd'hui`, `ce soir`, `demain`, `après-demain`, a weekday
/// (`samedi`, `samedi prochain`: the next one), `5/12`, `05/12/2026`, `le 5 décembre`, `5 december`.
public enum SpokenDate {
    static let months = [
        "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10,
        "novembre": 11, "decembre": 12, "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
        "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    ]
    static let weekdays: [String: Weekday] = [
        "lundi": .monday, "mardi": .tuesday, "mercredi": .wednesday, "jeudi": .thursday, "vendredi": .friday, "samedi": .saturday, "dimanche": .sunday,
        "monday": .monday, "tuesday": .tuesday, "wednesday": .wednesday, "thursday": .thursday, "friday": .friday, "saturday": .saturday, "sunday": .sunday,
    ]

    /// The date meant, `today` being the restaurant's local date; nil when not understood. A day and month
    /// without a year is the next such date.
    public static func parse(_ raw: String, today: LocalDate) -> LocalDate? {
        var t = SpokenTime.normalized(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        if let iso = LocalDate(iso: t) { return iso }
        switch t {
        case "aujourd'hui", "aujourdhui", "today", "ce soir", "ce midi", "tonight", "ce matin", "cet apres-midi": return today
        case "demain", "tomorrow", "demain soir", "demain midi": return today.adding(days: 1)
        case "apres-demain", "apres demain", "the day after tomorrow": return today.adding(days: 2)
        default: break
        }
        for prefix in ["le ", "ce ", "this ", "on "] where t.hasPrefix(prefix) { t = String(t.dropFirst(prefix.count)) }
        for suffix in [" prochain", " soir", " midi", " next"] where t.hasSuffix(suffix) { t = String(t.dropLast(suffix.count)) }
        if let wd = weekdays[t] {
            var offset = (wd.rawValue - today.weekday.rawValue + 7) % 7
            if offset == 0 { offset = 7 }
            return today.adding(days: offset)
        }
        func next(_ day: Int, _ month: Int, _ year: Int?) -> LocalDate? {
            guard (1...12).contains(month), (1...31).contains(day) else { return nil }
            if let year {
                let y = year < 100 ? 2000 + year : year
                return LocalDate(iso: String(format: "%04d-%02d-%02d", y, month, day))
            }
            for y in [today.year, today.year + 1] {
                if let d = LocalDate(iso: String(format: "%04d-%02d-%02d", y, month, day)), d >= today { return d }
            }
            return nil
        }
        if let m = SpokenTime.match(#"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?"#, t), let d = Int(m[0]!), let mo = Int(m[1]!) {
            return next(d, mo, m[2].flatMap(Int.init))
        }
        if let m = SpokenTime.match(#"(?:\w+ )?(\d{1,2})(?:er)? ([a-z]+)(?: (\d{4}))?"#, t), let d = Int(m[0]!), let mo = months[m[1]!] {
            return next(d, mo, m[2].flatMap(Int.init))
        }
        return nil
    }
}
