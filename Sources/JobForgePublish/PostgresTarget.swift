import Foundation

/// Where `jobforge publish` writes: a PostgreSQL server and database, parsed from a URL.
///
/// ```swift
/// let target = try PostgresTarget(url: "postgresql://analyst@db.example.org/hr?sslmode=require",
///                                 environment: ["PGPASSWORD": "..."])
/// target.host        // "db.example.org"
/// target.description // "analyst@db.example.org:5432/hr": never the password
/// ```
///
/// The password comes from the URL, else `PGPASSWORD`, else the user's `~/.pgpass` (or
/// `PGPASSFILE`), as libpq looks for it. It is never part of ``description``.
public struct PostgresTarget: Sendable, CustomStringConvertible {
    /// libpq's `sslmode`, reduced to what the client can do: no TLS, TLS when the server offers
    /// it, TLS required (`require`), or TLS with the server's certificate verified (`verify-ca`,
    /// `verify-full`).
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode

    /// The URL as the user gave it, without its password: what messages name.
    public var description: String { "\(user)@\(host):\(port)/\(database)" }

    /// Why a URL cannot be used, with what a good one looks like.
    public struct InvalidURL: Error, CustomStringConvertible {
        public var reason: String
        public var description: String {
            "\(reason); expected postgresql://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full]"
        }
    }

    /// Parses `postgresql://user[:password]@host[:port]/database[?sslmode=...]` (`postgres://` too).
    /// Without `sslmode`, TLS is off on loopback and preferred elsewhere.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                home: String = NSHomeDirectory()) throws {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme.lowercased()) else {
            throw InvalidURL(reason: "not a postgresql:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw InvalidURL(reason: "the URL names no host") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw InvalidURL(reason: "the URL names no database (…@\(host)/DATABASE)")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        self.database = database
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value
        switch mode {
        case nil: tls = Self.isLoopback(host) ? .disable : .prefer
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require": tls = .require
        case "verify-ca", "verify-full": tls = .verifyFull
        case let other?: throw InvalidURL(reason: "unknown sslmode '\(other)'")
        }
        if let fromURL = components.password {
            password = fromURL.removingPercentEncoding ?? fromURL
        } else if let fromEnvironment = environment["PGPASSWORD"], !fromEnvironment.isEmpty {
            password = fromEnvironment
        } else {
            let file = environment["PGPASSFILE"] ?? (home as NSString).appendingPathComponent(".pgpass")
            password = Self.passwordFile(at: file, host: host, port: port, database: database, user: user)
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    /// The first matching line of a `.pgpass` file (`host:port:database:user:password`, `*` for
    /// any field, `\:` and `\\` escaped), as libpq reads it; nil when there is none.
    static func passwordFile(at path: String, host: String, port: Int, database: String, user: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped { fields[fields.count - 1].append(character); escaped = false }
                else if character == "\\" { escaped = true }
                else if character == ":" && fields.count < 5 { fields.append("") }
                else { fields[fields.count - 1].append(character) }
            }
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in
                field == "*" || field == value || (field == "localhost" && isLoopback(value))
            }
            if matches { return fields[4] }
        }
        return nil
    }
}
