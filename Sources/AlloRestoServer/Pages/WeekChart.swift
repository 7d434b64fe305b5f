import AlloRestoCore
import AlloRestoStore
import Foundation

/// A restaurant's last seven days drawn on the server as inline SVG (no script, no external host): calls and orders
/// per day, revenue per day, and calls and orders per hour of the day summed over the week.
struct WeekChart {
    /// One local day's figures; `revenue` in minor units, cancelled orders left out.
    struct Day: Equatable {
        let date: LocalDate
        var calls = 0
        var orders = 0
        var revenue = 0
    }

    var days: [Day]
    /// Index = local hour 0…23.
    var hours: [(calls: Int, orders: Int)]

    /// The seven days ending with `last` (local days of the restaurant).
    static func load(_ r: Restaurant, endingOn last: LocalDate, database: AlloRestoDatabase) async throws -> WeekChart {
        let time = RestaurantTime(identifier: r.timezone)
        let first = last.adding(days: -6)
        let start = time.instant(first, TimeOfDay(minutes: 0)), end = time.instant(last.adding(days: 1), TimeOfDay(minutes: 0))
        guard let id = r.id else { return tally(first: first, time: time, calls: [], orders: []) }
        let activity = try await Reports.activity(restaurantId: id, start: start, end: end, on: database.db)
        return tally(first: first, time: time, calls: activity.calls, orders: activity.orders.map { ($0.placed, $0.totalMinor) })
    }

    /// Counts the instants into local days and hours (pure: what `load` read, laid out).
    static func tally(first: LocalDate, time: RestaurantTime, calls: [Date], orders: [(Date, Int)]) -> WeekChart {
        var chart = WeekChart(days: (0..<7).map { Day(date: first.adding(days: $0)) }, hours: Array(repeating: (0, 0), count: 24))
        func slot(_ d: Date) -> (Int, Int)? {
            let i = first.days(to: time.localDate(d))
            return (0..<7).contains(i) ? (i, time.minuteOfDay(d) / 60) : nil
        }
        for c in calls { if let (d, h) = slot(c) { chart.days[d].calls += 1; chart.hours[h].calls += 1 } }
        for (at, total) in orders {
            if let (d, h) = slot(at) { chart.days[d].orders += 1; chart.days[d].revenue += total; chart.hours[h].orders += 1 }
        }
        return chart
    }

    /// A series of bars: its name (legend), its colour and one value per label.
    struct Series {
        let name: String
        let color: String
        let values: [Int]
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Grouped bars, one group per label, the highest value on the axis; each bar has a `<title>` (read on hover
    /// and by screen readers). `describe` writes a value for people (`12 appels`, `345,00 €`).
    static func bars(title: String, labels: [String], series: [Series], describe: (Series, Int) -> String) -> String {
        let width = 640.0, height = 200.0, left = 40.0, bottom = 24.0, top = 22.0
        let top1 = max(1, series.flatMap(\.values).max() ?? 1)
        let group = (width - left) / Double(max(1, labels.count))
        let bar = max(2, (group * 0.8) / Double(max(1, series.count)))
        var out = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(width)) \##(Int(height))" width="100%" role="img" aria-label="\##(escape(title))">"##
        out += "<title>\(escape(title))</title>"
        out += ##"<line x1="\##(left)" y1="\##(height - bottom)" x2="\##(width)" y2="\##(height - bottom)" stroke="#999"/>"##
        out += ##"<text x="\##(left - 4)" y="\##(top + 4)" font-size="11" text-anchor="end" fill="#5b6475">\##(escape(describe(series.first ?? Series(name: "", color: "", values: []), top1).split(separator: " ").first.map(String.init) ?? "\(top1)"))</text>"##
        for (x, s) in series.enumerated() {
            out += ##"<rect x="\##(left + Double(x) * 110)" y="4" width="10" height="10" fill="\##(s.color)"/><text x="\##(left + Double(x) * 110 + 14)" y="13" font-size="11">\##(escape(s.name))</text>"##
        }
        let usable = height - bottom - top
        for (i, label) in labels.enumerated() {
            let x0 = left + Double(i) * group + group * 0.1
            for (k, s) in series.enumerated() {
                let v = i < s.values.count ? s.values[i] : 0
                let h = usable * Double(v) / Double(top1)
                let y = height - bottom - h
                out += ##"<rect x="\##(String(format: "%.1f", x0 + Double(k) * bar))" y="\##(String(format: "%.1f", y))" width="\##(String(format: "%.1f", bar - 1))" height="\##(String(format: "%.1f", h))" fill="\##(s.color)"><title>\##(escape("\(label) : \(describe(s, v))"))</title></rect>"##
            }
            if labels.count <= 8 || i % 3 == 0 {
                out += ##"<text x="\##(String(format: "%.1f", x0 + group * 0.4))" y="\##(height - 8)" font-size="11" text-anchor="middle" fill="#1d2330">\##(escape(label))</text>"##
            }
        }
        return out + "</svg>"
    }

    /// The three charts of the dashboard; revenue only for those who may see it.
    func svgs(currency: String, revenue: Bool) -> [String] {
        let dayLabels = days.map { "\($0.date.weekday.french.prefix(3)). \($0.date.day)" }
        let count: (Series, Int) -> String = { s, v in "\(v) \(s.name.lowercased())" }
        var charts = [Self.bars(title: "Appels et commandes par jour", labels: dayLabels, series: [
            Series(name: "Appels", color: "#1a73e8", values: days.map(\.calls)),
            Series(name: "Commandes", color: "#188038", values: days.map(\.orders)),
        ], describe: count)]
        if revenue {
            charts.append(Self.bars(title: "Chiffre d'affaires par jour", labels: dayLabels, series: [
                Series(name: "Chiffre d'affaires", color: "#b3261e", values: days.map(\.revenue)),
            ], describe: { _, v in Money.written(v, currency: currency) }))
        }
        charts.append(Self.bars(title: "Appels et commandes par heure (sur 7 jours)", labels: (0..<24).map { "\($0) h" }, series: [
            Series(name: "Appels", color: "#1a73e8", values: hours.map(\.calls)),
            Series(name: "Commandes", color: "#188038", values: hours.map(\.orders)),
        ], describe: count))
        return charts
    }
}
