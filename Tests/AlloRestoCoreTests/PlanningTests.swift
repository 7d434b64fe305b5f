import AlloRestoCore
import Foundation
import Testing

/// Times in these tests are written in the restaurant's local time and converted with the engine's own calendar.
struct PlanningWorld {
    var hours: WeeklyHours
    var time: RestaurantTime
    var config: PlanningConfig

    init(zone: String = "Europe/Paris", hours json: String = #"{"thursday": {"open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00"}}"#,
         config: PlanningConfig = PlanningConfig(avgPrepTimeMin: 25)) throws {
        hours = try JSONDecoder().decode(WeeklyHours.self, from: Data(json.utf8))
        time = RestaurantTime(identifier: zone)
        self.config = config
    }

    var schedule: OpeningSchedule { OpeningSchedule(hours: hours, time: time) }

    /// `2026-11-26 12:03` (a Thursday) in the restaurant's zone.
    func at(_ text: String) -> Date {
        let parts = text.split(separator: " ")
        return time.instant(LocalDate(iso: String(parts[0]))!, TimeOfDay(parsing: String(parts[1]))!)
    }

    func hm(_ d: Date) -> String { "\(time.local(d).date) \(time.local(d).time)" }

    func kitchen(now: String, bookings: [KitchenBooking] = [], loads: [KitchenLoad] = []) -> Kitchen {
        let n = at(now)
        return Kitchen(config: config, schedule: schedule, now: n, window: DateInterval(start: n.addingTimeInterval(-3600), duration: 36 * 3600),
                       bookings: bookings, loads: loads)
    }
}

@Suite struct RestaurantClockTests {
    @Test func springForwardGapMovesForwardAndTomorrowKeepsTheWallClock() {
        let paris = RestaurantTime(identifier: "Europe/Paris")
        let day = LocalDate(iso: "2026-03-29")!
        // 02:30 does not exist that night: it is 03:30 CEST = 01:30 UTC.
        #expect(paris.instant(day, TimeOfDay(parsing: "02:30")!) == Date(timeIntervalSince1970: 1774747800))
        // Asked at 13:00 on Saturday (CET) for "12:00": tomorrow 12:00 CEST, i.e. 10:00 UTC, 23 h later on the clock.
        let now = paris.instant(LocalDate(iso: "2026-03-28")!, TimeOfDay(parsing: "13:00")!)
        let asked = paris.upcoming(TimeOfDay(parsing: "12:00")!, now: now)
        #expect(paris.local(asked).date == day)
        #expect(paris.local(asked).time.description == "12:00")
        #expect(asked.timeIntervalSince(now) == 22 * 3600)
    }

    @Test func fallBackRepeatedHourIsTheFirstOneAndTheDayHas25Hours() {
        let paris = RestaurantTime(identifier: "Europe/Paris")
        let day = LocalDate(iso: "2026-10-25")!
        #expect(paris.instant(day, TimeOfDay(parsing: "02:30")!) == Date(timeIntervalSince1970: 1792888200)) // 00:30 UTC (CEST)
        let midnight = paris.instant(day, TimeOfDay(minutes: 0))
        let next = paris.instant(day.adding(days: 1), TimeOfDay(minutes: 0))
        #expect(next.timeIntervalSince(midnight) == 25 * 3600)
        #expect(paris.minuteOfDay(paris.instant(day, TimeOfDay(parsing: "19:00")!)) == 19 * 60)
    }

    @Test func aPastTimeMeansTomorrowInTheRestaurantsZone() {
        let ny = RestaurantTime(identifier: "America/New_York")
        // 2026-11-26 02:00 UTC is still the 25th, 21:00, in New York.
        let now = Date(timeIntervalSince1970: 1795658400)
        #expect(ny.local(now).date.description == "2026-11-25")
        let a = ny.upcoming(TimeOfDay(parsing: "20:00")!, now: now)
        #expect(ny.local(a).date.description == "2026-11-26")
        let b = ny.upcoming(TimeOfDay(parsing: "22:00")!, now: now)
        #expect(ny.local(b).date.description == "2026-11-25")
        #expect(LocalDate(iso: "2026-02-30") == nil)
        #expect(LocalDate(iso: "2026-11-26")!.weekday == .thursday)
    }
}

@Suite struct OpeningScheduleTests {
    let luigi = #"""
    {"thursday": {"open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00"},
     "friday": {"open": "11:30", "close": "14:30", "open2": "18:30", "close2": "00:30"},
     "saturday": {"open": "11:30", "close": "00:30"}, "sunday": {"open": "18:30", "close": "23:00"}}
    """#

    @Test func splitServicesClosedDaysAndServicesPastMidnight() throws {
        let w = try PlanningWorld(hours: luigi)
        let s = w.schedule
        #expect(s.isOpen(at: w.at("2026-11-26 12:00")))
        #expect(s.isOpen(at: w.at("2026-11-26 14:30")))      // a promise at closing time is inside
        #expect(!s.isOpen(at: w.at("2026-11-26 14:35")))
        #expect(!s.isOpen(at: w.at("2026-11-26 23:30")))     // Thursday closes at 23:00
        #expect(s.isOpen(at: w.at("2026-11-28 00:15")))      // Friday's dinner runs to 00:30 on Saturday
        #expect(!s.isOpen(at: w.at("2026-11-28 00:45")))
        #expect(s.isOpen(at: w.at("2026-11-29 00:20")))      // Saturday's long service, into Sunday
        #expect(!s.isOpen(at: w.at("2026-11-29 12:00")))     // no Sunday lunch
        #expect(w.hm(s.nextOpening(after: w.at("2026-11-29 12:00"))!) == "2026-11-29 18:30")
        #expect(w.hm(s.nextOpening(after: w.at("2026-11-26 15:00"))!) == "2026-11-26 18:30")
        // Sunday 23:00 → Monday and Tuesday closed, Wednesday closed: next is Thursday 11:30.
        #expect(w.hm(s.nextOpening(after: w.at("2026-11-29 23:10"))!) == "2026-12-03 11:30")
        #expect(s.spoken(w.at("2026-11-27 11:30"), now: w.at("2026-11-26 15:00")) == "demain à 11h30")
        #expect(s.spoken(w.at("2026-12-03 11:30"), now: w.at("2026-11-26 15:00")) == "jeudi 3 décembre à 11h30")
    }

    /// Exceptional closures take whole local days out of the hours; "plus de commandes ce soir" closes orders until
    /// the end of tonight's service (reservations keep the plain schedule).
    @Test func closuresAndTheOrderPause() throws {
        let w = try PlanningWorld(hours: luigi)
        // Closed Friday 27 and Saturday 28 November (works).
        let works = Closure(from: LocalDate(iso: "2026-11-28")!, to: LocalDate(iso: "2026-11-27")!, reason: "travaux")
        #expect(works.from.description == "2026-11-27" && works.french == "du vendredi 27 novembre au samedi 28 novembre (travaux)")
        let s = OpeningSchedule(hours: w.hours, time: w.time, closed: [works.interval(w.time)])
        #expect(s.isOpen(at: w.at("2026-11-26 12:00")))
        #expect(!s.isOpen(at: w.at("2026-11-27 12:00")) && !s.isOpen(at: w.at("2026-11-28 20:00")))
        // Saturday's service runs past midnight into Sunday: the part after the closure stays open.
        #expect(s.isOpen(at: w.at("2026-11-29 00:20")))
        #expect(w.hm(s.nextOpening(after: w.at("2026-11-26 23:10"))!) == "2026-11-29 00:00")
        #expect(w.hm(s.nextOpening(after: w.at("2026-11-29 01:00"))!) == "2026-11-29 18:30")
        // Without hours (no restriction), a closure still closes its days.
        let open = OpeningSchedule(hours: WeeklyHours(), time: w.time, closed: [works.interval(w.time)])
        #expect(open.isOpen(at: w.at("2026-11-26 12:00")) && !open.isOpen(at: w.at("2026-11-27 12:00")))
        #expect(w.hm(open.nextOpening(after: w.at("2026-11-27 09:00"))!) == "2026-11-29 00:00")
        // The pause on Friday at 20:00: Friday's dinner runs to 00:30, so orders are closed until then.
        let end = endOfTonight(now: w.at("2026-11-27 20:00"), hours: w.hours, time: w.time)
        #expect(w.hm(end) == "2026-11-28 00:30")
        // On Thursday at 15:00 (between services), until midnight.
        #expect(w.hm(endOfTonight(now: w.at("2026-11-26 15:00"), hours: w.hours, time: w.time)) == "2026-11-27 00:00")
        let paused = OpeningSchedule(hours: w.hours, time: w.time, closed: [DateInterval(start: .distantPast, end: end)])
        #expect(!paused.isOpen(at: w.at("2026-11-27 21:00")))
        #expect(w.hm(paused.nextOpening(after: w.at("2026-11-27 20:00"))!) == "2026-11-28 11:30")
        // Stored lists: unreadable entries left out, sorted, one day when `to` is missing.
        let list = Closure.list(.array([["from": "2026-12-24", "to": "2026-12-26", "reason": "Noël"], ["from": "n'importe"], ["from": "2026-12-01"]]))
        #expect(list.map(\.from.description) == ["2026-12-01", "2026-12-24"] && list[0].to == list[0].from && list[1].reason == "Noël")
        #expect(Closure.list(Closure.json(list)) == list)
    }

    @Test func hoursAcrossDaylightSavingChanges() throws {
        // Sunday 2026-03-29 (clocks forward at 02:00) and Sunday 2026-10-25 (back at 03:00); open 18:30–02:30.
        let w = try PlanningWorld(hours: #"{"saturday": {"open": "18:30", "close": "02:30"}, "sunday": {"open": "12:00", "close": "14:00"}}"#)
        let s = w.schedule
        let spring = s.intervals(from: w.at("2026-03-28 12:00"), to: w.at("2026-03-29 23:00"))
        #expect(spring.count == 2)
        // 18:30 CET → 02:30 "CEST" (which is 03:30 real): 18:30 to 01:30 UTC = 8 h of real time, not 9.
        #expect(spring[0].duration == 8 * 3600)
        #expect(w.hm(spring[1].start) == "2026-03-29 12:00")
        let autumn = s.intervals(from: w.at("2026-10-24 12:00"), to: w.at("2026-10-25 23:00"))
        #expect(autumn[0].duration == 8 * 3600)  // the repeated hour: a close at 02:30 is its first occurrence (CEST)
        #expect(w.time.local(autumn[1].start).time.description == "12:00")
    }

    @Test func aRestaurantOutsideEurope() throws {
        let w = try PlanningWorld(zone: "America/New_York", hours: #"{"thursday": {"open": "11:00", "close": "22:00"}}"#)
        let morning = w.at("2026-11-26 10:00")
        #expect(!w.schedule.isOpen(at: morning))
        let next = w.schedule.nextOpening(after: morning)!
        #expect(next == Date(timeIntervalSince1970: 1795708800)) // 16:00 UTC = 11:00 EST
        let k = w.kitchen(now: "2026-11-26 10:00")
        guard case .closed(let opening, let feasible) = k.plan(.pickup, size: .s, wanted: nil) else { Issue.record("expected closed"); return }
        #expect(opening == next)
        #expect(w.hm(feasible!) == "2026-11-26 11:00")
    }

    @Test func noHoursMeansNoRestriction() throws {
        let w = try PlanningWorld(hours: "{}")
        #expect(w.schedule.isOpen(at: w.at("2026-11-26 03:00")))
    }
}

@Suite struct KitchenPlanningTests {
    @Test func defaultProfilesScaleOnTheAveragePreparationTime() {
        let c = PlanningConfig(avgPrepTimeMin: 25)
        #expect(c.kitchenMinutes(.s) == 20)
        #expect(c.kitchenMinutes(.m) == 25)
        #expect(c.kitchenMinutes(.l) == 35)
        #expect(OrderSize(itemCount: 2) == .s && OrderSize(itemCount: 3) == .m && OrderSize(itemCount: 6) == .l)
        #expect(c.travelMinutes(roadKm: 3.9) == 15) // 11.7 min at 20 km/h → whole slots
    }

    @Test func emptyKitchenAsSoonAsPossibleAndAtTheWantedTime() throws {
        let w = try PlanningWorld()
        let k = w.kitchen(now: "2026-11-26 12:03")
        guard case .planned(let asap) = k.plan(.pickup, size: .s, wanted: nil) else { Issue.record("not planned"); return }
        #expect(w.hm(asap.promised) == "2026-11-26 12:25")  // 12:03 + 20 min, up to the slot
        #expect(w.hm(asap.booking.cookStart) == "2026-11-26 12:05")
        #expect(asap.shiftedMin == 0)
        guard case .planned(let later) = k.plan(.pickup, size: .m, wanted: w.at("2026-11-26 13:00")) else { Issue.record("not planned"); return }
        #expect(w.hm(later.promised) == "2026-11-26 13:00")
        // Too soon for an L order: the earliest the kitchen can do.
        guard case .planned(let soon) = k.plan(.pickup, size: .l, wanted: w.at("2026-11-26 12:10")) else { Issue.record("not planned"); return }
        #expect(w.hm(soon.promised) == "2026-11-26 12:40")
    }

    @Test func capacityBandEdgesAreStartInclusiveEndExclusive() throws {
        var c = PlanningConfig(avgPrepTimeMin: 25)  // S: preparation 5, cuisine 15
        c.capacity[.cuisine] = 1
        c.bands = [CapacityBand(from: TimeOfDay(parsing: "12:00")!, to: TimeOfDay(parsing: "13:00")!, capacity: [.cuisine: 0])]
        c.maxShiftMin = 60
        let w = try PlanningWorld(config: c)
        let k = w.kitchen(now: "2026-11-26 11:30")
        // Cooking 11:45–12:00 ends as the band starts: fine.
        guard case .planned(let edge) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:00")) else { Issue.record("not planned"); return }
        #expect(w.hm(edge.promised) == "2026-11-26 12:00")
        // 12:05 needs the cuisine from 11:50 to 12:05: the 12:00 slot has none. First possible: cooking 13:00–13:15.
        guard case .full(let next) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:05")) else { Issue.record("expected full"); return }
        #expect(w.hm(next!) == "2026-11-26 13:15")
        var wider = w
        wider.config.maxShiftMin = 70
        guard case .planned(let shifted) = wider.kitchen(now: "2026-11-26 11:30").plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:05"))
        else { Issue.record("not planned"); return }
        #expect(w.hm(shifted.promised) == "2026-11-26 13:15")
        #expect(shifted.shiftedMin == 70)
        // A band across midnight.
        let night = CapacityBand(from: TimeOfDay(parsing: "22:00")!, to: TimeOfDay(parsing: "02:00")!, capacity: [:])
        #expect(night.covers(minuteOfDay: 23 * 60) && night.covers(minuteOfDay: 60) && !night.covers(minuteOfDay: 120))
    }

    @Test func earlierOrdersPushTheNextOneLater() throws {
        var c = PlanningConfig(avgPrepTimeMin: 25)
        c.capacity = [.cuisine: 1, .preparation: 1, .comptoir: 5, .livraison: 1]
        let w = try PlanningWorld(config: c)
        var k = w.kitchen(now: "2026-11-26 12:00")
        guard case .planned(let first) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:30")) else { Issue.record("not planned"); return }
        k.book(first.booking)
        #expect(k.used(.cuisine, at: w.at("2026-11-26 12:20")) == 1)
        guard case .planned(let second) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:30")) else { Issue.record("not planned"); return }
        #expect(w.hm(second.promised) == "2026-11-26 12:45")
        #expect(second.shiftedMin == 15)
        k.book(second.booking)
        // Saturated until the shift limit: full, with the next possible time after it.
        var full = k
        for _ in 0..<3 {
            if case .planned(let p) = full.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:30")) { full.book(p.booking) }
        }
        guard case .full(let next) = full.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:30")) else { Issue.record("expected full"); return }
        #expect(next! > w.at("2026-11-26 13:15"))
        // The slots offered skip the taken ones.
        let slots = k.availableSlots(.pickup, size: .s, from: w.at("2026-11-26 12:20"), to: w.at("2026-11-26 13:00")).map(w.hm)
        #expect(!slots.contains("2026-11-26 12:30") && !slots.contains("2026-11-26 12:45"))
        #expect(slots.contains("2026-11-26 13:00"))
    }

    @Test func externalLoadsConsumeCapacity() throws {
        var c = PlanningConfig(avgPrepTimeMin: 25)
        c.capacity[.cuisine] = 2
        let w = try PlanningWorld(config: c)
        let rush = KitchenLoad(kind: "dine_in_rush", start: w.at("2026-11-26 12:00"), end: w.at("2026-11-26 12:30"), units: [.cuisine: 2])
        let k = w.kitchen(now: "2026-11-26 11:50", loads: [rush])
        guard case .planned(let p) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 12:15")) else { Issue.record("not planned"); return }
        #expect(w.hm(p.promised) == "2026-11-26 12:45")
        #expect(k.timeline().first { w.hm($0.start) == "2026-11-26 12:10" }?.used[.cuisine] == 2)
    }

    @Test func deliveriesHoldARiderThereAndBack() throws {
        var c = PlanningConfig(avgPrepTimeMin: 25)
        c.capacity[.livraison] = 1
        let w = try PlanningWorld(config: c)
        var k = w.kitchen(now: "2026-11-26 12:00")
        guard case .planned(let a) = k.plan(.delivery, size: .s, wanted: w.at("2026-11-26 13:00"), travelMin: 10) else { Issue.record("not planned"); return }
        #expect(w.hm(a.booking.handoff) == "2026-11-26 12:50")
        #expect(w.hm(a.booking.cookStart) == "2026-11-26 12:25") // 20 kitchen + 5 packing + 10 road
        k.book(a.booking)
        #expect(k.used(.livraison, at: w.at("2026-11-26 13:05")) == 1)  // riding back
        guard case .planned(let b) = k.plan(.delivery, size: .s, wanted: w.at("2026-11-26 13:00"), travelMin: 10) else { Issue.record("not planned"); return }
        #expect(w.hm(b.promised) == "2026-11-26 13:20")  // leaves when the rider is back at 13:10
    }

    @Test func closedTimesOfferTheNextOpening() throws {
        let w = try PlanningWorld()
        let k = w.kitchen(now: "2026-11-26 12:00")
        guard case .closed(let opening, let feasible) = k.plan(.pickup, size: .s, wanted: w.at("2026-11-26 15:00")) else { Issue.record("expected closed"); return }
        #expect(w.hm(opening!) == "2026-11-26 18:30")
        #expect(w.hm(feasible!) == "2026-11-26 18:30")
        // As soon as possible just before closing: the promise would fall after 14:30.
        let late = w.kitchen(now: "2026-11-26 14:20")
        guard case .closed(let o2, _) = late.plan(.pickup, size: .s, wanted: nil) else { Issue.record("expected closed"); return }
        #expect(w.hm(o2!) == "2026-11-26 18:30")
    }

    @Test func anAnnouncedTimeIsKeptExactlyOrRefused() throws {
        var c = PlanningConfig(avgPrepTimeMin: 25)
        c.capacity = [.cuisine: 1, .preparation: 1, .comptoir: 5, .livraison: 1]
        let w = try PlanningWorld(config: c)
        var k = w.kitchen(now: "2026-11-26 12:00")
        let announced = w.at("2026-11-26 12:40")
        guard case .planned(let p) = k.plan(.pickup, size: .s, wanted: announced, exact: true) else { Issue.record("not planned"); return }
        #expect(p.promised == announced)
        k.book(p.booking)
        guard case .full(let next) = k.plan(.pickup, size: .s, wanted: announced, exact: true) else { Issue.record("expected full"); return }
        #expect(w.hm(next!) == "2026-11-26 12:55")
        // A time whose cook start is long past cannot be kept any more.
        let later = w.kitchen(now: "2026-11-26 12:35")
        guard case .full = later.plan(.pickup, size: .s, wanted: announced, exact: true) else { Issue.record("expected full"); return }
    }

    @Test func configReadsWithDefaultsAndNamesTheBadField() throws {
        let c = try PlanningConfig(json: JSONReader.parse(Array(#"{"maxShiftMin": "30", "capacity": {"Cuisine": 8}, "bands": [{"from": "19:00", "to": "21:30", "capacity": {"cuisine": 10}}], "profiles": {"s": [{"resource": "cuisine", "minutes": 10}]}}"#.utf8)), avgPrepTimeMin: 20)
        #expect(c.maxShiftMin == 30)
        #expect(c.capacity[.cuisine] == 8 && c.capacity[.comptoir] == 4)
        #expect(c.capacity(.cuisine, minuteOfDay: 20 * 60) == 10 && c.capacity(.cuisine, minuteOfDay: 22 * 60) == 8)
        #expect(c.kitchenMinutes(.s) == 10)
        let round = try PlanningConfig(json: c.json, avgPrepTimeMin: 99)
        #expect(round == c)
        for (bad, path) in [
            (#"{"capacity": {"four": 2}}"#, "capacity.four"), (#"{"slotMin": 7}"#, "slotMin"), (#"{"bands": [{"from": "19h"}]}"#, "bands[0]"),
            (#"{"profiles": {"XL": []}}"#, "profiles.XL"), (#"{"maxShiftMin": -5}"#, "maxShiftMin"), ("[]", "planningConfig"),
        ] {
            #expect(throws: PlanningConfigError.self) { try PlanningConfig(json: JSONReader.parse(Array(bad.utf8)), avgPrepTimeMin: 20) }
            do { _ = try PlanningConfig(json: JSONReader.parse(Array(bad.utf8)), avgPrepTimeMin: 20) } catch let e as PlanningConfigError {
                #expect(e.path == path)
            } catch {}
        }
    }

    @Test func greatCircleDistance() {
        let luigi = GeoPoint(lat: 48.8625, lng: 2.3364)!
        let bastille = GeoPoint(lat: 48.8532, lng: 2.3692)!
        #expect(abs(luigi.distanceKm(to: bastille) - 2.63) < 0.05)
        #expect(GeoPoint(lat: 0, lng: 0) == nil && GeoPoint(lat: 91, lng: 2) == nil)
    }
}

@Suite struct ReservationRulesTests {
    func rules(services: [DiningServiceInfo], tables: Int? = nil, seats: Int? = 60) throws -> (ReservationRules, PlanningWorld) {
        let w = try PlanningWorld(hours: #"{"thursday": {"open": "11:30", "close": "14:30", "open2": "18:30", "close2": "23:00"}, "friday": {"open": "18:30", "close": "01:00"}}"#)
        var p = RestaurantProfile(id: UUID(), name: "T")
        p.openingHours = w.hours
        p.reservationEnabled = true
        p.totalSeats = seats
        p.minReservationAdvanceMin = 60
        p.maxReservationAdvanceDays = 30
        return (ReservationRules(restaurant: p, services: services, tableSeats: tables), w)
    }

    func t(_ s: String) -> TimeOfDay { TimeOfDay(parsing: s)! }

    @Test func theMatchingServiceGivesCapacityAndDuration() throws {
        let lunch = DiningServiceInfo(id: UUID(), name: "Déjeuner", daysOfWeek: [.monday, .thursday], startTime: t("12:00"), endTime: t("14:30"), lastSeatingTime: t("13:45"), maxCovers: 40, defaultDurationMin: 75)
        let late = DiningServiceInfo(id: UUID(), name: "Souper", daysOfWeek: [.friday], startTime: t("22:00"), endTime: t("02:00"), lastSeatingTime: t("00:30"), maxCovers: 20)
        let privateRoom = DiningServiceInfo(id: UUID(), name: "Privé", daysOfWeek: [.thursday], startTime: t("15:00"), endTime: t("18:00"), maxCovers: 100, isPrivate: true)
        let (r, w) = try rules(services: [lunch, late, privateRoom])
        let now = w.at("2026-11-26 09:00")
        guard case .success(let slot) = r.slot(at: w.at("2026-11-26 13:45"), partySize: 4, now: now) else { Issue.record("refused"); return }
        #expect(slot.capacity == 40 && slot.service?.name == "Déjeuner")
        #expect(slot.end.timeIntervalSince(slot.start) == 75 * 60)
        guard case .failure(let noService) = r.slot(at: w.at("2026-11-26 14:00"), partySize: 4, now: now) else { Issue.record("accepted"); return }
        #expect(noService.code == "no_service")
        #expect(noService == .noService(time: t("14:00"), day: .thursday))
        #expect(r.services(on: .thursday).map(\.name) == ["Déjeuner"])
        guard case .failure(let privateRefused) = r.slot(at: w.at("2026-11-26 16:00"), partySize: 4, now: now) else { Issue.record("accepted"); return }
        #expect(privateRefused.code == "no_service")
        // Past midnight: Saturday 00:15 belongs to Friday's late service.
        guard case .success(let night) = r.slot(at: w.at("2026-11-28 00:15"), partySize: 2, now: now) else { Issue.record("refused"); return }
        #expect(night.service?.name == "Souper")
        guard case .failure(let big) = r.slot(at: w.at("2026-11-26 12:30"), partySize: 41, now: now) else { Issue.record("accepted"); return }
        #expect(big.code == "party_too_large")
    }

    @Test func advanceLimitsAndPartySize() throws {
        let (r, w) = try rules(services: [])
        let now = w.at("2026-11-26 12:00")
        guard case .failure(let soon) = r.slot(at: w.at("2026-11-26 12:30"), partySize: 2, now: now) else { Issue.record("accepted"); return }
        #expect(soon == .tooSoon(at: w.at("2026-11-26 12:30"), minAdvanceMin: 60))
        guard case .failure(let far) = r.slot(at: w.at("2026-12-31 12:30"), partySize: 2, now: now) else { Issue.record("accepted"); return }
        #expect(far.code == "too_far")
        guard case .failure(let zero) = r.slot(at: w.at("2026-11-26 13:30"), partySize: 0, now: now) else { Issue.record("accepted"); return }
        #expect(zero.code == "invalid_party_size")
    }

    @Test func withoutServicesTablesThenSeatsWhileOpen() throws {
        let now = try PlanningWorld().at("2026-11-26 09:00")
        let (withTables, w) = try rules(services: [], tables: 24)
        guard case .success(let a) = withTables.slot(at: w.at("2026-11-26 12:30"), partySize: 2, now: now) else { Issue.record("refused"); return }
        #expect(a.capacity == 24 && a.service == nil && a.end.timeIntervalSince(a.start) == 90 * 60)
        let (seatsOnly, _) = try rules(services: [], tables: nil, seats: 60)
        guard case .success(let b) = seatsOnly.slot(at: w.at("2026-11-26 12:30"), partySize: 2, now: now) else { Issue.record("refused"); return }
        #expect(b.capacity == 60)
        guard case .failure(let closed) = seatsOnly.slot(at: w.at("2026-11-26 16:00"), partySize: 2, now: now) else { Issue.record("accepted"); return }
        #expect(closed == .closed(at: w.at("2026-11-26 16:00"), nextOpening: w.at("2026-11-26 18:30")))
        let (none, _) = try rules(services: [], tables: nil, seats: nil)
        guard case .failure(let nothing) = none.slot(at: w.at("2026-11-26 12:30"), partySize: 2, now: now) else { Issue.record("accepted"); return }
        #expect(nothing.code == "no_capacity")
    }

    @Test func offersByPartySizeAndDate() throws {
        let (r, _) = try rules(services: [])
        let tasting = OfferInfo(id: UUID(), name: "Dégustation", minPartySize: 2, maxPartySize: 8)
        let xmas = OfferInfo(id: UUID(), name: "Noël", validFrom: "2026-12-20", validTo: "2026-12-26")
        let off = OfferInfo(id: UUID(), name: "Off", isActive: false)
        let day = LocalDate(iso: "2026-11-26")!
        #expect(r.offers([tasting, xmas, off], partySize: 4, date: day).map(\.name) == ["Dégustation"])
        #expect(r.offers([tasting, xmas, off], partySize: 1, date: LocalDate(iso: "2026-12-24")!).map(\.name) == ["Noël"])
    }
}
