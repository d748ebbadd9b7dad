import EventModel
import Projections
import Testing

/// Runs commands against the building type the way the writer does: decide on the current
/// `alerts` state, then fold the decided events into both views; one second passes per command.
struct BuildingHarness {
    var object = ObjectTypeHarness(BundledTypes.building)
    var events: [RecordedEvent] { object.events }
    var now: Int64 { object.now }

    /// One sensor's aggregates, from its rows: its type and unit, its minute and hour buckets.
    struct Sensor {
        var sensorType: String
        var unit: String
        var minutes: [AggregateBucket]
        var hours: [AggregateBucket]
    }

    /// The aggregates by sensor, read back from the view's rows.
    var aggregates: (summary: AggregatesView.Summary, sensors: [String: Sensor]) {
        var sensors: [String: Sensor] = [:]
        let rows = object.rows("aggregates", as: AggregateRow.self)
        for (key, row) in rows {
            guard case .sensor(let sensor) = row else { continue }
            let groups = { (letter: String) in
                rows.filter { $0.key.hasPrefix(key + "/" + letter + "/") }.flatMap { entry -> [AggregateBucket] in
                    if case .group(let group) = entry.row { return group.buckets }
                    return []
                }
            }
            sensors[key] = Sensor(sensorType: sensor.sensorType, unit: sensor.unit, minutes: groups("m"), hours: groups("h"))
        }
        return (object.summary("aggregates"), sensors)
    }

    var alerts: AlertsView.State { object.summary("alerts") }

    mutating func run(_ command: String, _ body: JSONValue) -> Result<[NewEvent], Rejection> {
        let result = object.run(command, body)
        object.now += 1_000
        return result
    }

    /// Folds `decided` as if the writer had appended it now.
    mutating func append(_ decided: [NewEvent]) { object.append(decided) }

    /// Records `readings` and returns the alerts raised.
    mutating func record(_ readings: [JSONValue]) -> [JSONValue] {
        guard case .success(let decided) = run("record", ["readings": .array(readings)]) else {
            Issue.record("record was refused")
            return []
        }
        return decided.filter { $0.type == "AlertRaised" }.map(\.data)
    }

    mutating func addRule(_ body: JSONValue) {
        guard case .success = run("addRule", body) else {
            Issue.record("addRule \(body.jsonText) was refused")
            return
        }
    }
}

/// A reading as a command carries it.
private func reading(_ sensorId: String, type: String = "temperature", _ value: Double, at timestamp: Int64, quality: String? = nil) -> JSONValue {
    var members: [String: JSONValue] = [
        "sensorId": .string(sensorId), "sensorType": .string(type), "value": .number(value), "unit": "C", "timestamp": .number(Double(timestamp)),
    ]
    if let quality { members["quality"] = .string(quality) }
    return .object(members)
}

/// A reading of the temperature sensor `t-1`.
private func reading(_ value: Double, at timestamp: Int64, quality: String? = nil) -> JSONValue {
    reading("t-1", value, at: timestamp, quality: quality)
}

private func rejection(_ result: Result<[NewEvent], Rejection>) -> Rejection? {
    if case .failure(let rejection) = result { return rejection }
    return nil
}

/// 2023-11-14T22:13:20Z, a whole minute.
private let minuteStart: Int64 = 1_700_000_040_000

@Suite("building: aggregates and alerts views, record, addRule, acknowledge and resolve")
struct BuildingTests {
    @Test("record stores one ReadingsRecorded and folds it into minute and hour buckets, late readings included")
    func record() throws {
        var harness = BuildingHarness()
        let body: JSONValue = [
            "readings": [
                reading(1, at: minuteStart + 5_000), reading(3, at: minuteStart + 50_000, quality: "good"), reading(5, at: minuteStart + 70_000),
                reading("h-1", type: "humidity", 40, at: minuteStart),
            ]
        ]
        guard case .success(let decided) = harness.run("record", body) else {
            Issue.record("refused")
            return
        }
        #expect(decided.map(\.type) == ["ReadingsRecorded"])
        #expect(decided[0].data["readings"]?.arrayValue?.count == 4)
        #expect(decided[0].data["readings"]?.arrayValue?[1]["quality"] == "good")
        _ = harness.record([reading(-2, at: minuteStart + 1_000)])

        let sensor = try #require(harness.aggregates.sensors["t-1"])
        #expect(sensor.sensorType == "temperature" && sensor.unit == "C")
        #expect(sensor.minutes.map(\.start) == [minuteStart, minuteStart + 60_000])
        let first = sensor.minutes[0]
        #expect(first.min == -2 && first.max == 3 && first.sum == 2 && first.count == 3 && first.avg == 2.0 / 3)
        #expect(sensor.minutes[1].sum == 5 && sensor.minutes[1].count == 1 && sensor.minutes[1].avg == 5)
        let hourStart = minuteStart - minuteStart % 3_600_000
        #expect(sensor.hours.map(\.start) == [hourStart])
        #expect(
            sensor.hours[0].min == -2 && sensor.hours[0].max == 5 && sensor.hours[0].sum == 7 && sensor.hours[0].count == 4
                && sensor.hours[0].avg == 1.75)
        #expect(harness.aggregates.sensors["h-1"]?.minutes.map(\.count) == [1])
        #expect(harness.events.allSatisfy { BuildingSchema.admits($0.type, $0.data) })
    }

    @Test("record refuses an empty batch, more than 5,000 readings, and a reading the schema would refuse")
    func recordRejections() {
        var harness = BuildingHarness()
        let empty = rejection(harness.run("record", ["readings": []]))
        #expect(empty?.code == "NO_READINGS" && empty?.status == 422)

        let tooMany = rejection(harness.run("record", ["readings": .array((0..<5_001).map { reading(1, at: Int64($0)) })]))
        #expect(tooMany?.code == "TOO_MANY_READINGS" && tooMany?.status == 422)
        #expect(tooMany?.facts["count"] == 5_001 && tooMany?.facts["max"] == 5_000)

        let invalid: [(JSONValue, String)] = [
            (reading(1, at: 0, quality: "great"), "quality"), (reading("", 1, at: 0), "sensorId"),
            (reading(String(repeating: "s", count: 129), 1, at: 0), "sensorId"), (reading("t-1", type: "", 1, at: 0), "sensorType"),
            (reading(1, at: -1), "timestamp"), (reading(1e101, at: 0), "value"), (reading(-1e101, at: 0), "value"),
            (["sensorId": "t-1", "sensorType": "temperature", "value": 1, "unit": "", "timestamp": 0], "unit"),
        ]
        for (bad, field) in invalid {
            let refused = rejection(harness.run("record", ["readings": [reading(1, at: 0), bad]]))
            #expect(refused?.code == "INVALID_READING" && refused?.status == 422, "\(field)")
            #expect(refused?.facts["index"] == 1 && refused?.facts["field"] == .string(field))
        }
        let undecodable = rejection(harness.run("record", ["readings": [["sensorId": "t-1", "value": 1]]]))
        #expect(undecodable?.code == "INVALID_COMMAND" && undecodable?.status == 422)
        #expect(harness.events.isEmpty)
    }

    @Test("5,000 readings in one command are recorded and every one is checked against the rules")
    func fullBatch() {
        var harness = BuildingHarness()
        harness.addRule([
            "ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "warning", "cooldownSeconds": 60,
        ])
        let readings = (0..<5_000).map { reading("t-\($0)", $0 % 2 == 0 ? 35 : 20, at: minuteStart + Int64($0)) }
        let raised = harness.record(readings)
        #expect(raised.count == 2_500)
        #expect(harness.events.first { $0.type == "ReadingsRecorded" }?.data["readings"]?.arrayValue?.count == 5_000)
        #expect(harness.aggregates.sensors.count == 5_000 && harness.alerts.alerts.count == 2_500)
        #expect(harness.events.allSatisfy { BuildingSchema.admits($0.type, $0.data) })
    }

    @Test("addRule stores the rule under its id or the first free rule-<n>; RULE_EXISTS for a taken id")
    func addRule() throws {
        var harness = BuildingHarness()
        let given: JSONValue = [
            "ruleId": "rule-2", "sensorType": "co2", "sensorId": "c-1", "condition": "range_outside", "min": 400, "max": 1_000,
            "severity": "critical", "cooldownSeconds": 300,
        ]
        guard case .success(let decided) = harness.run("addRule", given) else {
            Issue.record("refused")
            return
        }
        #expect(decided.map(\.type) == ["AlertRuleAdded"])
        #expect(
            decided[0].data == [
                "ruleId": "rule-2", "sensorType": "co2", "sensorId": "c-1", "condition": "range_outside", "min": 400, "max": 1_000,
                "severity": "critical", "cooldownSeconds": 300,
            ])
        let rule = try #require(harness.alerts.rules["rule-2"])
        #expect(rule.condition == .rangeOutside && rule.min == 400 && rule.max == 1_000 && rule.severity == .critical && rule.sensorId == "c-1")

        let anonymous: JSONValue = ["sensorType": "co2", "condition": "gt", "threshold": 1_200, "severity": "info", "cooldownSeconds": 0]
        harness.addRule(anonymous)
        harness.addRule(anonymous)
        #expect(harness.alerts.rules.keys.sorted() == ["rule-2", "rule-3", "rule-4"])

        let taken = rejection(harness.run("addRule", given))
        #expect(taken?.code == "RULE_EXISTS" && taken?.status == 409 && taken?.facts["ruleId"] == "rule-2")
        #expect(harness.events.allSatisfy { BuildingSchema.admits($0.type, $0.data) })
    }

    @Test(
        "addRule refuses a rule that cannot work with INVALID_RULE and the reason",
        arguments: [
            (["condition": "range_outside", "min": 1], "max"), (["condition": "range_outside", "max": 1], "min"),
            (["condition": "range_outside", "min": 5, "max": 1], "min"),
            (["condition": "range_outside", "min": 1, "max": 5, "threshold": 3], "threshold"),
            (["condition": "gt"], "threshold"), (["condition": "lt", "threshold": 1, "min": 0], "min"),
            (["condition": "above", "threshold": 1], "condition"),
            (["condition": "gt", "threshold": 1, "severity": "fatal"], "severity"),
            (["condition": "gt", "threshold": 1, "cooldownSeconds": -1], "cooldownSeconds"),
            (["condition": "gt", "threshold": 1, "cooldownSeconds": 31_536_001], "cooldownSeconds"),
            (["condition": "gt", "threshold": 1e101], "threshold"),
            (["condition": "gt", "threshold": 1, "sensorType": ""], "sensorType"), (["condition": "gt", "threshold": 1, "sensorId": ""], "sensorId"),
            (["condition": "gt", "threshold": 1, "ruleId": .string(String(repeating: "r", count: 129))], "ruleId"),
        ] as [([String: JSONValue], String)])
    func invalidRule(overrides: [String: JSONValue], field: String) {
        var harness = BuildingHarness()
        var body: [String: JSONValue] = ["sensorType": "temperature", "severity": "warning", "cooldownSeconds": 60]
        body.merge(overrides) { _, override in override }
        let refused = rejection(harness.run("addRule", .object(body)))
        #expect(refused?.code == "INVALID_RULE" && refused?.status == 422)
        #expect(refused?.facts["field"] == .string(field))
        #expect(refused?.facts["reason"]?.stringValue?.isEmpty == false)
        #expect(harness.alerts.rules.isEmpty)
    }

    @Test("addRule refuses a rule past the 1,000th with TOO_MANY_RULES")
    func tooManyRules() {
        var harness = BuildingHarness()
        harness.append(
            (1...AddRuleCommand.rulesMax).map {
                NewEvent(
                    type: "AlertRuleAdded",
                    data: [
                        "ruleId": .string("r-\($0)"), "sensorType": "temperature", "condition": "gt", "threshold": 1, "severity": "info",
                        "cooldownSeconds": 0,
                    ])
            })
        #expect(harness.alerts.rules.count == 1_000)
        let refused = rejection(
            harness.run("addRule", ["sensorType": "temperature", "condition": "gt", "threshold": 1, "severity": "info", "cooldownSeconds": 0]))
        #expect(refused?.code == "TOO_MANY_RULES" && refused?.status == 409 && refused?.facts["max"] == 1_000)
    }

    @Test(
        "each condition raises an alert for exactly the values that break it",
        arguments: [
            ("gt", ["threshold": 30], [30.5, 100], [30, 29]), ("lt", ["threshold": 10], [9.9, -5], [10, 11]),
            ("gte", ["threshold": 30], [30, 31], [29.9]), ("lte", ["threshold": 10], [10, 9], [10.1]), ("eq", ["threshold": 0], [0], [0.1, -0.1]),
            ("neq", ["threshold": 1], [0, 2], [1]), ("range_outside", ["min": 18, "max": 24], [17.9, 24.1], [18, 24, 21]),
        ] as [(String, [String: JSONValue], [Double], [Double])])
    func condition(name: String, bounds: [String: JSONValue], breaking: [Double], passing: [Double]) {
        var harness = BuildingHarness()
        var rule: [String: JSONValue] = [
            "ruleId": "r", "sensorType": "temperature", "condition": .string(name), "severity": "info", "cooldownSeconds": 0,
        ]
        rule.merge(bounds) { _, bound in bound }
        harness.addRule(.object(rule))
        let values = passing + breaking
        let raised = harness.record(values.enumerated().map { reading($1, at: minuteStart + Int64($0)) })
        #expect(raised.compactMap { $0["value"]?.numberValue } == breaking)
        #expect(raised.allSatisfy { $0["ruleId"] == "r" && $0["severity"] == "info" && $0["sensorId"] == "t-1" })
    }

    @Test("a rule watches its sensor type, and only its sensor when it names one")
    func matching() {
        var harness = BuildingHarness()
        harness.addRule(["ruleId": "any", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "info", "cooldownSeconds": 0])
        harness.addRule([
            "ruleId": "one", "sensorType": "temperature", "sensorId": "t-2", "condition": "gt", "threshold": 30, "severity": "critical",
            "cooldownSeconds": 0,
        ])
        let raised = harness.record([
            reading("t-1", 40, at: minuteStart), reading("t-2", 40, at: minuteStart), reading("h-1", type: "humidity", 40, at: minuteStart),
        ])
        #expect(raised.map { "\($0["ruleId"]!.stringValue!)/\($0["sensorId"]!.stringValue!)" } == ["any/t-1", "any/t-2", "one/t-2"])
        #expect(raised.map(\.["alertId"]) == ["alert-1", "alert-2", "alert-3"])
    }

    @Test("cooldown: one alert per rule and sensor per cooldown, measured on reading timestamps")
    func cooldown() {
        var harness = BuildingHarness()
        harness.addRule([
            "ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "warning", "cooldownSeconds": 60,
        ])
        // Two breaking readings within the cooldown, in one command: one alert.
        #expect(harness.record([reading(35, at: minuteStart), reading(36, at: minuteStart + 30_000)]).count == 1)
        // Still within it in a later command, and a late reading from before the alert: none.
        #expect(harness.record([reading(37, at: minuteStart + 59_999), reading(38, at: minuteStart - 10_000)]).isEmpty)
        // Another sensor has its own cooldown.
        #expect(harness.record([reading("t-2", 35, at: minuteStart + 30_000)]).count == 1)
        // Once the cooldown is over: a second alert.
        #expect(harness.record([reading(39, at: minuteStart + 60_000)]).map(\.["timestamp"]) == [.number(Double(minuteStart + 60_000))])
        #expect(harness.alerts.alerts.count == 3)
        #expect(harness.alerts.lastAlertAt["hot"] == ["t-1": minuteStart + 60_000, "t-2": minuteStart + 30_000])

        // A batch in any order raises the same alerts: readings are taken in timestamp order.
        var forward = BuildingHarness()
        var backward = BuildingHarness()
        let rule: JSONValue = [
            "ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "warning", "cooldownSeconds": 10,
        ]
        forward.addRule(rule)
        backward.addRule(rule)
        let batch = (0..<30).map { reading(31, at: minuteStart + Int64($0) * 4_000) }
        let raised = forward.record(batch)
        #expect(raised.count == 10, "one alert every 12 s: 0, 12, 24... 108 s")
        #expect(backward.record(batch.reversed()) == raised)
    }

    @Test("cooldown 0: every breaking reading raises an alert, one per sensor and millisecond")
    func noCooldown() {
        var harness = BuildingHarness()
        harness.addRule([
            "ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "warning", "cooldownSeconds": 0,
        ])
        #expect(harness.record([reading(35, at: minuteStart), reading(36, at: minuteStart), reading(37, at: minuteStart + 1)]).count == 2)
        #expect(harness.record([reading(38, at: minuteStart + 1)]).isEmpty)
    }

    @Test("acknowledge and resolve move an alert on, and refuse an unknown alert or a wrong status")
    func alertLifecycle() throws {
        var harness = BuildingHarness()
        harness.addRule([
            "ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "critical", "cooldownSeconds": 0,
        ])
        _ = harness.record([reading("t-1", 35, at: minuteStart), reading("t-2", 36, at: minuteStart)])
        let active = try #require(harness.alerts.alerts["alert-1"])
        #expect(active.status == .active && active.ruleId == "hot" && active.sensorId == "t-1" && active.value == 35 && active.severity == .critical)
        #expect(active.raisedAt == minuteStart)

        let unknown = rejection(harness.run("acknowledge", ["alertId": "alert-9", "userId": "u-1"]))
        #expect(unknown?.code == "ALERT_NOT_FOUND" && unknown?.status == 404 && unknown?.facts["alertId"] == "alert-9")
        #expect(rejection(harness.run("resolve", ["alertId": "nope"]))?.code == "ALERT_NOT_FOUND")
        #expect(rejection(harness.run("acknowledge", ["alertId": "alert-1", "userId": ""]))?.code == "INVALID_COMMAND")

        let acknowledgedAt = harness.now
        guard case .success(let acknowledged) = harness.run("acknowledge", ["alertId": "alert-1", "userId": "u-1"]) else {
            Issue.record("refused")
            return
        }
        #expect(acknowledged == [NewEvent(type: "AlertAcknowledged", data: ["alertId": "alert-1", "userId": "u-1"])])
        #expect(harness.alerts.alerts["alert-1"]?.status == .acknowledged)
        #expect(harness.alerts.alerts["alert-1"]?.acknowledgedBy == "u-1" && harness.alerts.alerts["alert-1"]?.acknowledgedAt == acknowledgedAt)
        let again = rejection(harness.run("acknowledge", ["alertId": "alert-1", "userId": "u-2"]))
        #expect(again?.code == "INVALID_STATUS" && again?.status == 409 && again?.facts["status"] == "acknowledged")

        guard case .success(let resolved) = harness.run("resolve", ["alertId": "alert-1"]) else {
            Issue.record("refused")
            return
        }
        #expect(resolved == [NewEvent(type: "AlertResolved", data: ["alertId": "alert-1"])])
        #expect(harness.alerts.alerts.keys.sorted() == ["alert-2"])
        #expect(harness.alerts.recentlyResolved.map(\.alertId) == ["alert-1"] && harness.alerts.recentlyResolved[0].status == .resolved)
        #expect(rejection(harness.run("resolve", ["alertId": "alert-1"]))?.facts["status"] == "resolved")
        #expect(rejection(harness.run("acknowledge", ["alertId": "alert-1", "userId": "u-1"]))?.code == "INVALID_STATUS")

        // An active alert resolves without being acknowledged.
        guard case .success = harness.run("resolve", ["alertId": "alert-2"]) else {
            Issue.record("refused")
            return
        }
        #expect(harness.alerts.alerts.isEmpty)
        #expect(harness.events.allSatisfy { BuildingSchema.admits($0.type, $0.data) })
    }

    @Test("resolved alerts are kept 100 deep; older ones are still known to be resolved")
    func resolvedHistory() {
        var harness = BuildingHarness()
        harness.addRule(["ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "info", "cooldownSeconds": 0])
        _ = harness.record((0..<150).map { reading(35, at: minuteStart + Int64($0)) })
        for number in 1...150 { _ = harness.run("resolve", ["alertId": .string("alert-\(number)")]) }
        #expect(harness.alerts.recentlyResolved.map(\.alertId) == (51...150).map { "alert-\($0)" })
        #expect(harness.alerts.alertsRaised == 150)
        let old = rejection(harness.run("resolve", ["alertId": "alert-1"]))
        #expect(old?.code == "INVALID_STATUS" && old?.facts["status"] == "resolved")
        #expect(rejection(harness.run("resolve", ["alertId": "alert-151"]))?.code == "ALERT_NOT_FOUND")
        #expect(rejection(harness.run("resolve", ["alertId": "alert-01"]))?.code == "ALERT_NOT_FOUND")
    }

    @Test("aggregates equal a naive recomputation from every reading, over ten days of minutes", arguments: 0..<8)
    func aggregatesMatchNaive(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        var harness = BuildingHarness()
        var all: [(sensorId: String, value: Double, timestamp: Int64)] = []
        let spanMilliseconds: Int64 = 10 * 86_400_000
        while all.count < 9_000 {
            let batch = (0..<Int.random(in: 1...500, using: &generator)).map { _ in
                (
                    sensorId: "s-\(Int.random(in: 0..<3, using: &generator))", value: Double.random(in: -100...100, using: &generator),
                    timestamp: minuteStart + Int64.random(in: 0..<spanMilliseconds, using: &generator)
                )
            }
            all += batch
            _ = harness.record(batch.map { reading($0.sensorId, $0.value, at: $0.timestamp) })
        }
        for sensorId in ["s-0", "s-1", "s-2"] {
            let readings = all.filter { $0.sensorId == sensorId }
            let sensor = try #require(harness.aggregates.sensors[sensorId])
            #expect(rows(sensor.minutes) == naiveBuckets(readings, width: 60_000))
            #expect(rows(sensor.hours) == naiveBuckets(readings, width: 3_600_000))
            #expect(sensor.minutes.count > 1_440 && sensor.hours.count > 168, "every bucket is kept, past a day of minutes and a week of hours")
        }
        let view = AnyProjection(AggregatesView())
        let cuts = (0..<3).map { _ in Int.random(in: 0...harness.events.count, using: &generator) }.sorted()
        let pieces = try view.materialize(harness.events, cutAt: cuts)
        #expect(try view.materialize(harness.events) == pieces)
        #expect(pieces == harness.object.view("aggregates"))
    }

    @Test("folding any event sequence at once equals folding it in pieces, and every event fits the schema", arguments: 0..<10)
    func foldInPieces(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        var harness = BuildingHarness()
        let conditions = ["gt", "lt", "gte", "lte", "eq", "neq", "range_outside"]
        for step in 0..<150 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0:
                let condition = conditions.randomElement(using: &generator)!
                var rule: [String: JSONValue] = [
                    "sensorType": .string(["temperature", "co2"].randomElement(using: &generator)!), "condition": .string(condition),
                    "severity": .string(["info", "warning", "critical"].randomElement(using: &generator)!),
                    "cooldownSeconds": .number(Double(Int.random(in: 0...120, using: &generator))),
                ]
                if condition == "range_outside" {
                    rule["min"] = .number(Double(Int.random(in: 0...40, using: &generator)))
                    rule["max"] = .number(Double(Int.random(in: 40...80, using: &generator)))
                } else {
                    rule["threshold"] = .number(Double(Int.random(in: 0...80, using: &generator)))
                }
                if Bool.random(using: &generator) { rule["sensorId"] = .string("s-\(Int.random(in: 0..<4, using: &generator))") }
                _ = harness.run("addRule", .object(rule))
            case 1, 2:
                let alertId = "alert-\(Int.random(in: 1...max(1, harness.alerts.alertsRaised + 1), using: &generator))"
                let command = Bool.random(using: &generator) ? "acknowledge" : "resolve"
                _ = harness.run(command, ["alertId": .string(alertId), "userId": .string("u-\(step)")])
            default:
                let readings = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                    reading(
                        "s-\(Int.random(in: 0..<4, using: &generator))", type: Bool.random(using: &generator) ? "temperature" : "co2",
                        Double(Int.random(in: 0...80, using: &generator)),
                        at: minuteStart + Int64(step) * 20_000 + Int64.random(in: -60_000...60_000, using: &generator))
                }
                _ = harness.record(readings)
            }
        }
        #expect(harness.alerts.alertsRaised > 0 && !harness.alerts.rules.isEmpty)
        for event in harness.events { #expect(BuildingSchema.admits(event.type, event.data), "\(event.type) \(event.data.jsonText)") }
        for view in [AnyProjection(AggregatesView()), AnyProjection(AlertsView())] {
            let whole = try view.materialize(harness.events)
            let cuts = (0..<3).map { _ in Int.random(in: 0...harness.events.count, using: &generator) }.sorted()
            let pieces = try view.materialize(harness.events, cutAt: cuts)
            #expect(whole == pieces && whole == harness.object.view(view.name), "\(view.name)")
            #expect(whole.document.jsonText == pieces.document.jsonText)
        }
    }
}

/// Buckets as rows of start, min, max, sum, count and avg.
private func rows(_ buckets: [AggregateBucket]) -> [[Double]] {
    buckets.map { [Double($0.start), $0.min, $0.max, $0.sum, Double($0.count), $0.avg] }
}

/// The buckets of `readings` recomputed from scratch: grouped by timestamp floored to `width`,
/// summed in the order recorded.
private func naiveBuckets(_ readings: [(sensorId: String, value: Double, timestamp: Int64)], width: Int64) -> [[Double]] {
    var buckets: [Int64: (min: Double, max: Double, sum: Double, count: Int)] = [:]
    for reading in readings {
        let start = reading.timestamp / width * width
        if let bucket = buckets[start] {
            buckets[start] = (min(bucket.min, reading.value), max(bucket.max, reading.value), bucket.sum + reading.value, bucket.count + 1)
        } else {
            buckets[start] = (reading.value, reading.value, reading.value, 1)
        }
    }
    return buckets.keys.sorted().map { start in
        let bucket = buckets[start]!
        return [Double(start), bucket.min, bucket.max, bucket.sum, Double(bucket.count), bucket.sum / Double(bucket.count)]
    }
}
