import EventModel

extension AlertsView.State {
    /// The alerts `readings` raise against the rules, cooldowns respected, numbered after the
    /// alerts raised so far.
    ///
    /// Deterministic: readings are taken in timestamp order (ties in the order given) and, for
    /// each, the rules that watch it in rule id order; an alert raised by an earlier reading of
    /// the batch starts its cooldown for the later ones. A batch whose readings come in any
    /// order raises the same alerts.
    func newAlerts(for readings: [SensorReading]) -> [AlertRaised] {
        guard !rules.isEmpty else { return [] }
        let rulesBySensorType = Dictionary(grouping: rules.values.sorted { $0.ruleId < $1.ruleId }, by: \.sensorType)
        let order = readings.indices.sorted { (readings[$0].timestamp, $0) < (readings[$1].timestamp, $1) }
        var lastAlertAt = self.lastAlertAt
        var raised: [AlertRaised] = []
        for index in order {
            let reading = readings[index]
            for rule in rulesBySensorType[reading.sensorType] ?? [] where rule.watches(reading) && rule.isBroken(by: reading.value) {
                guard !rule.isCoolingDown(at: reading.timestamp, lastAlertAt: lastAlertAt[rule.ruleId]?[reading.sensorId]) else { continue }
                lastAlertAt[rule.ruleId, default: [:]][reading.sensorId] = reading.timestamp
                raised.append(
                    AlertRaised(
                        alertId: AlertsView.alertId(number: alertsRaised + raised.count + 1), ruleId: rule.ruleId, sensorId: reading.sensorId,
                        value: reading.value, severity: rule.severity, timestamp: reading.timestamp))
            }
        }
        return raised
    }
}
