import ArgumentParser
import EventModel
import EventStore

/// `evtool erase`: erase an object by destroying its data key.
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase an object for good: destroy its data key (crypto-shredding).",
        discussion: """
            Appends an ObjectErased tombstone to the object (the log and change-data capture \
            show it), deletes every branch, and destroys the object's data key: every event of \
            it, on every branch, in the log and in backups and exports taken before, cannot be \
            read again without the master key and a copy of the key from before. Every request \
            about it answers 410 from then on. There is no undo. Needs a store that seals \
            (a master key); with --url, the scope admin. Prints {"object", "erasedAt", "position"}.

            Examples:
              evtool erase customer/c-1042
              evtool erase customer/c-1042 --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. customer/c-1042.", valueName: "object"))
    var object: String

    @OptionGroup var store: StoreOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        if let remote = try store.remote {
            print(String(decoding: try await remote.send(.DELETE, RemoteStore.path(key)).body, as: UTF8.self))
            return
        }
        let erasure = try await store.withStore(holder: "evtool erase") { try await $0.erase(key) }
        print(
            JSONValue.object([
                "object": .string(key.description), "erasedAt": .number(Double(erasure.erasedAtMilliseconds)), "position": .number(Double(erasure.position)),
            ]).jsonText)
    }
}
