import Access
import EventModel
import ArgumentParser
import Foundation

/// `evtool token`: credentials for a server with `--auth`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make credentials for a server started with --auth: signed tokens, API keys.",
        discussion: """
            A server started with --auth FILE takes, in `Authorization: Bearer ...`, a JWT signed \
            with one of the file's keys or one of its API keys. Each acts for one tenant within \
            its scopes: read, append, command, branch, consume, admin.

            Examples:
              evtool token create --auth auth.json --tenant acme --scopes read,append --expires 1h
              export EVLOG_TOKEN=$(evtool token create --auth auth.json --tenant acme --scopes read)
              evtool token api-key --tenant acme --scopes read,consume --name reporting
            """,
        subcommands: [Create.self, APIKey.self])

    struct ScopeOptions: ParsableArguments {
        @Option(help: "The tenant the credential acts for (1 to 63 of a-z, 0-9, -).")
        var tenant: String

        @Option(help: ArgumentHelp("What it may do, separated by commas: read, append, command, branch, consume, admin.", valueName: "scopes"))
        var scopes: String

        func validate() throws {
            guard Tenant.isValid(tenant) else { throw ValidationError("--tenant must be 1 to 63 of a-z, 0-9 and -") }
            let parsed: Set<Scope>
            do throws(AccessError) { parsed = try Scope.parse(scopes) } catch { throw ValidationError("--scopes: \(error)") }
            guard !parsed.isEmpty else { throw ValidationError("--scopes names none; the scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))") }
        }

        var parsed: Set<Scope> { (try? Scope.parse(scopes)) ?? [] }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a JWT signed with a key of the access configuration.",
            discussion: """
                Signs with the key --kid (the only one, if the file has one): an HS256 key with its \
                secret, an ES256 or RS256 key with its privateKeyFile. The token carries the file's \
                issuer and audience when it sets them, so the server takes it.
                """)

        @Option(help: ArgumentHelp("The access configuration (the server's --auth file).", valueName: "file"))
        var auth: String

        @Option(help: "The key to sign with (its kid).")
        var kid: String?

        @OptionGroup var scope: ScopeOptions

        @Option(help: ArgumentHelp("How long it is valid: 90s, 30m, 12h or 7d (366d at most: a token cannot be taken back, only its key changed).", valueName: "duration"))
        var expires = "1h"

        @Option(help: "Whom it is for (the sub claim; logs name it).")
        var subject: String?

        func validate() throws {
            guard let seconds = Self.seconds(expires) else { throw ValidationError("--expires must be a number followed by s, m, h or d, e.g. 30m") }
            guard seconds <= 366 * 86_400 else { throw ValidationError("--expires is 366d at most: a token cannot be taken back, only its key changed") }
        }

        static func seconds(_ text: String) -> TimeInterval? {
            guard let unit = text.last, let number = Double(text.dropLast()), number > 0 else { return nil }
            switch unit {
            case "s": return number
            case "m": return number * 60
            case "h": return number * 3_600
            case "d": return number * 86_400
            default: return nil
            }
        }

        func run() async throws {
            do throws(AccessError) {
                let configuration = try AccessConfiguration.load(path: auth)
                let claims = TokenClaims(
                    tenant: scope.tenant, scopes: scope.parsed, expires: Date(timeIntervalSinceNow: Self.seconds(expires) ?? 3_600), subject: subject,
                    issuer: configuration.issuer, audience: configuration.audience)
                print(try await TokenMinter.token(claims, kid: kid, configuration: configuration))
            } catch {
                throw CommandFailure("--auth \(auth): \(error)")
            }
        }
    }

    struct APIKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api-key",
            abstract: "Make a new API key: print it once, and the entry to add to the access configuration's apiKeys.",
            discussion: """
                The server keeps only the key's SHA-256: the key itself is printed here once (on \
                standard output), and the entry for the file's "apiKeys" on standard error.
                """)

        @OptionGroup var scope: ScopeOptions

        @Option(help: "What the key is for (logs name it).")
        var name: String

        func run() throws {
            let key = APIKeys.generate()
            print(key)
            let scopes = scope.parsed.sorted().map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            FileHandle.standardError.write(
                Data(
                    "add to \"apiKeys\": {\"name\": \"\(name)\", \"sha256\": \"\(APIKeys.hash(key))\", \"tenant\": \"\(scope.tenant)\", \"scopes\": [\(scopes)]}\n"
                        .utf8))
        }
    }
}
