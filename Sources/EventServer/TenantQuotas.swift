import Access
import EventModel
import EventStore
import Foundation
import HTTPTypes
import Synchronization

/// Each tenant's quotas (``AccessConfiguration/Quota``), enforced before a request reaches the
/// writer: a tenant over one gets 429 `quota-exceeded` naming it, with `Retry-After`, and
/// nobody else notices. Events per second are a bucket per tenant, refilled continuously; the
/// counts (objects, consumers, bytes appended) are read from the store when a request would add
/// to them.
///
/// The counts are checked before the write, not in its transaction: requests that add objects
/// at the same moment may pass the limit by as many as are in flight together.
public final class TenantQuotas: Sendable {
    private let quotas: [String: AccessConfiguration.Quota]
    private let clock: @Sendable () -> Double
    /// Per tenant: the events the bucket holds and when it was last filled (seconds).
    private let buckets = Mutex<[Tenant: (tokens: Double, filled: Double)]>([:])

    /// Quotas by tenant name (`*` for every tenant without its own); `clock` answers seconds.
    public init(_ quotas: [String: AccessConfiguration.Quota], clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.quotas = quotas
        self.clock = clock
    }

    private func quota(of tenant: Tenant) -> AccessConfiguration.Quota? { quotas[tenant.name] ?? quotas["*"] }

    /// Takes `events` from `tenant`'s bucket.
    /// - Throws: 429 `quota-exceeded` (`eventsPerSecond`) when it does not hold them, with the
    ///   seconds until it will in `Retry-After`; nothing is taken then.
    func take(events: Int, tenant: Tenant) throws(Problem) {
        guard let rate = quota(of: tenant)?.eventsPerSecond else { return }
        let now = clock()
        let wanted = Double(events)
        let shortfall: Double? = buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? (rate, now)
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.filled) * rate)
            bucket.filled = now
            defer { buckets[tenant] = bucket }
            // A request larger than a second's worth goes through on a full bucket (leaving it in debt).
            guard bucket.tokens >= min(wanted, rate) else { return min(wanted, rate) - bucket.tokens }
            bucket.tokens -= wanted
            return nil
        }
        guard let shortfall else { return }
        throw Self.exceeded(
            "eventsPerSecond", limit: "\(Self.number(rate))",
            detail: "the tenant \(tenant) may append \(Self.number(rate)) events a second; this request of \(events) comes too soon",
            retryAfter: max(1, Int((shortfall / rate).rounded(.up))))
    }

    /// Checks that `tenant` may make `object` if it does not exist yet.
    /// - Throws: 429 `quota-exceeded` (`objects`) when it would be one object too many.
    func admitObject(_ object: ObjectKey, store: EventStore) throws(Problem) {
        guard let limit = quota(of: object.tenant)?.objects else { return }
        let count: UInt64
        do throws(EventStoreError) {
            guard try store.version(of: StreamName(object: object)) == 0 else { return }
            count = try store.objectTypeCounts(tenant: object.tenant).reduce(0) { $0 + $1.objects }
        } catch {
            throw Problem(error)
        }
        guard count < limit else {
            throw Self.exceeded(
                "objects", limit: "\(limit)", detail: "the tenant \(object.tenant) has \(count) objects, its quota; \(object) would be one more",
                retryAfter: 60)
        }
    }

    /// Checks that `tenant` may append more: the events it appended (as stored) are under its
    /// quota (a request that crosses it is let through; the next is refused).
    /// - Throws: 429 `quota-exceeded` (`bytes`) once they reach it.
    func admitBytes(tenant: Tenant, store: EventStore) throws(Problem) {
        guard let limit = quota(of: tenant)?.bytes else { return }
        let stored: UInt64
        do { stored = try store.appendedBytes(of: tenant) } catch { throw Problem(error) }
        guard stored < limit else {
            throw Self.exceeded(
                "bytes", limit: "\(limit)", detail: "the tenant \(tenant) has appended \(stored) bytes of events, its quota of \(limit)",
                retryAfter: 60)
        }
    }

    /// Checks that `tenant` may add the consumer `name` if it does not exist yet.
    /// - Throws: 429 `quota-exceeded` (`consumers`) when it would be one too many.
    func admitConsumer(_ name: String, tenant: Tenant, store: EventStore) throws(Problem) {
        guard let limit = quota(of: tenant)?.consumers else { return }
        let count: Int
        do throws(EventStoreError) {
            guard try store.consumer(name, tenant: tenant) == nil else { return }
            count = try store.consumers(tenant: tenant).count
        } catch {
            throw Problem(error)
        }
        guard count < limit else {
            throw Self.exceeded(
                "consumers", limit: "\(limit)", detail: "the tenant \(tenant) has \(count) consumers, its quota; delete one to make \(name)", retryAfter: 60)
        }
    }

    private static func exceeded(_ quota: String, limit: String, detail: String, retryAfter: Int) -> Problem {
        Problem(
            .tooManyRequests, type: .quotaExceeded, detail: detail,
            extensions: [Problem.string("quota", quota), (name: "limit", json: Array(limit.utf8))], headers: [.retryAfter: "\(retryAfter)"])
    }

    private static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}
