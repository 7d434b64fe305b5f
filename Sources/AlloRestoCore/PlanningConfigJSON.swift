import Foundation

/// A planning setting that cannot be used, with the path of the offending field.
public struct PlanningConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

extension PlanningConfig {
    /// Reads a `planningConfig` object; absent fields keep the defaults (scaled on `avgPrepTimeMin`).
    public init(json: JSONValue, avgPrepTimeMin: Int) throws(PlanningConfigError) {
        self.init(avgPrepTimeMin: avgPrepTimeMin)
        guard case .object(let o) = json else { throw PlanningConfigError(path: "planningConfig", message: "un objet JSON est attendu") }
        func number(_ v: JSONValue, _ path: String) throws(PlanningConfigError) -> Double {
            if let d = CheckedNumber.decimal(v) { return d }
            throw PlanningConfigError(path: path, message: "un nombre est attendu")
        }
        func int(_ key: String, _ range: ClosedRange<Int>, in obj: [String: JSONValue], path: String) throws(PlanningConfigError) -> Int? {
            guard let v = obj[key], v != .null else { return nil }
            let d = try number(v, path + key)
            guard let i = CheckedNumber.whole(d, in: range) else {
                throw PlanningConfigError(path: path + key, message: "un entier entre \(range.lowerBound) et \(range.upperBound) est attendu")
            }
            return i
        }
        func resourceMap(_ v: JSONValue, _ path: String) throws(PlanningConfigError) -> [KitchenResource: Int] {
            guard case .object(let m) = v else { throw PlanningConfigError(path: path, message: "un objet {ressource: unités} est attendu") }
            var out: [KitchenResource: Int] = [:]
            for key in m.keys.sorted() {
                guard let r = KitchenResource(rawValue: key.lowercased()) else {
                    throw PlanningConfigError(path: "\(path).\(key)", message: "ressource inconnue (cuisine, preparation, comptoir, livraison)")
                }
                out[r] = try int(key, 0...1_000_000, in: m, path: path + ".")
            }
            return out
        }
        if let v = try int("slotMin", 1...60, in: o, path: "") {
            guard 60 % v == 0 else { throw PlanningConfigError(path: "slotMin", message: "doit diviser 60 (5, 10, 15…)") }
            slotMin = v
        }
        if let v = try int("horizonMin", 60...2880, in: o, path: "") { horizonMin = v }
        if let v = try int("maxShiftMin", 0...240, in: o, path: "") { maxShiftMin = v }
        if let v = try int("pickupBufferMin", 0...120, in: o, path: "") { pickupBufferMin = v }
        if let v = try int("deliveryBufferMin", 0...120, in: o, path: "") { deliveryBufferMin = v }
        if let v = o["roadFactor"], v != .null {
            let d = try number(v, "roadFactor")
            guard (1...3).contains(d) else { throw PlanningConfigError(path: "roadFactor", message: "entre 1 et 3") }
            roadFactor = d
        }
        if let v = o["deliverySpeedKmh"], v != .null {
            let d = try number(v, "deliverySpeedKmh")
            guard (1...200).contains(d) else { throw PlanningConfigError(path: "deliverySpeedKmh", message: "entre 1 et 200") }
            deliverySpeedKmh = d
        }
        if let v = o["capacity"], v != .null {
            for (r, c) in try resourceMap(v, "capacity") { capacity[r] = c }
        }
        if let v = o["bands"], v != .null {
            guard case .array(let list) = v else { throw PlanningConfigError(path: "bands", message: "une liste est attendue") }
            bands = []
            for (i, b) in list.enumerated() {
                let path = "bands[\(i)]"
                guard case .object(let bo) = b,
                      let from = bo["from"]?.stringValue.flatMap(TimeOfDay.init(parsing:)),
                      let to = bo["to"]?.stringValue.flatMap(TimeOfDay.init(parsing:))
                else { throw PlanningConfigError(path: path, message: "{from: \"HH:MM\", to: \"HH:MM\", capacity: {…}} est attendu") }
                bands.append(CapacityBand(from: from, to: to, capacity: try resourceMap(bo["capacity"] ?? .object([:]), path + ".capacity")))
            }
        }
        if let v = o["profiles"], v != .null {
            guard case .object(let po) = v else { throw PlanningConfigError(path: "profiles", message: "un objet {S, M, L} est attendu") }
            for key in po.keys.sorted() {
                guard let size = OrderSize(rawValue: key.uppercased()) else { throw PlanningConfigError(path: "profiles.\(key)", message: "taille inconnue (S, M, L)") }
                guard case .array(let steps) = po[key]!, !steps.isEmpty else {
                    throw PlanningConfigError(path: "profiles.\(key)", message: "une liste non vide d'étapes est attendue")
                }
                var out: [PlanStep] = []
                for (i, s) in steps.enumerated() {
                    let path = "profiles.\(key)[\(i)]"
                    guard case .object(let so) = s, let name = so["resource"]?.stringValue, let r = KitchenResource(rawValue: name.lowercased()) else {
                        throw PlanningConfigError(path: path, message: "{resource, minutes, units} est attendu")
                    }
                    guard let minutes = try int("minutes", 1...240, in: so, path: path + ".") else {
                        throw PlanningConfigError(path: path + ".minutes", message: "obligatoire")
                    }
                    out.append(PlanStep(r, minutes: minutes, units: try int("units", 1...100, in: so, path: path + ".") ?? 1))
                }
                profiles[size] = out
            }
        }
    }

    /// The whole configuration as JSON (every field, defaults included).
    public var json: JSONValue {
        func map(_ m: [KitchenResource: Int]) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: m.map { ($0.key.rawValue, JSONValue.int($0.value)) }))
        }
        var profilesJSON: [String: JSONValue] = [:]
        for (size, steps) in profiles {
            profilesJSON[size.rawValue] = .array(steps.map { .object(["resource": .string($0.resource.rawValue), "minutes": .int($0.minutes), "units": .int($0.units)]) })
        }
        return .object([
            "slotMin": .int(slotMin), "horizonMin": .int(horizonMin), "maxShiftMin": .int(maxShiftMin),
            "capacity": map(capacity),
            "bands": .array(bands.map { .object(["from": .string($0.from.description), "to": .string($0.to.description), "capacity": map($0.capacity)]) }),
            "profiles": .object(profilesJSON),
            "pickupBufferMin": .int(pickupBufferMin), "deliveryBufferMin": .int(deliveryBufferMin),
            "roadFactor": .double(roadFactor), "deliverySpeedKmh": .double(deliverySpeedKmh),
        ])
    }
}
