import Foundation

/// Checks a CloudEvent in the structured JSON format against CloudEvents 1.0: the required
/// attributes, the types of the optional ones, and the naming rule for extensions.
public func cloudEventProblems(_ event: [String: Any]) -> [String] {
    var problems: [String] = []
    for required in ["id", "source", "specversion", "type"] {
        if (event[required] as? String)?.isEmpty != false { problems.append("\(required) must be a non-empty string") }
    }
    if event["specversion"] as? String != "1.0" { problems.append("specversion must be 1.0") }
    for optional in ["subject", "datacontenttype", "dataschema", "time"] where event[optional] != nil {
        if event[optional] as? String == nil { problems.append("\(optional) must be a string") }
    }
    if let time = event["time"] as? String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if formatter.date(from: time) == nil { problems.append("time \(time) is not RFC 3339") }
    }
    let context = Set(["id", "source", "specversion", "type", "subject", "datacontenttype", "dataschema", "time", "data", "data_base64"])
    for (name, value) in event where !context.contains(name) {
        if name.count > 20 || !name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) {
            problems.append("extension \(name) must be 1-20 of a-z and 0-9")
        }
        if name != "view", !(value is String || value is NSNumber) { problems.append("extension \(name) must be a string, number or boolean") }
    }
    return problems
}
