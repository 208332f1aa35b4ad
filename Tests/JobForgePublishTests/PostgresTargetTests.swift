import Foundation
import JobForgePublish
import JobForgeTestSupport
import Testing

/// `--to` / `JOBFORGE_POSTGRES`: what a user writes, where the password comes from, and that it
/// never shows.
@Suite("PostgreSQL URL")
struct PostgresTargetTests {
    @Test("host, port, user, database; the password from the URL, not in the description")
    func parsesAURL() throws {
        let target = try PostgresTarget(url: "postgresql://analyst:p%40ss@db.example.org:6543/hr?sslmode=require", environment: [:])
        #expect(target.host == "db.example.org" && target.port == 6543 && target.user == "analyst" && target.database == "hr")
        #expect(target.password == "p@ss")
        #expect(target.tls == .require)
        #expect(target.description == "analyst@db.example.org:6543/hr")
        #expect(!"\(target)".contains("p@ss") && !"\(target)".contains("p%40ss"))
    }

    @Test("TLS is off on loopback and preferred elsewhere unless sslmode says; a bad sslmode is refused")
    func tlsDefaults() throws {
        #expect(try PostgresTarget(url: "postgresql://u@localhost/db", environment: [:]).tls == .disable)
        #expect(try PostgresTarget(url: "postgres://u@127.0.0.1:5433/db", environment: [:]).tls == .disable)
        #expect(try PostgresTarget(url: "postgresql://u@pg.internal/db", environment: [:]).tls == .prefer)
        #expect(try PostgresTarget(url: "postgresql://u@pg.internal/db?sslmode=verify-full", environment: [:]).tls == .verifyFull)
        #expect(throws: PostgresTarget.InvalidURL.self) { try PostgresTarget(url: "postgresql://u@h/db?sslmode=sometimes", environment: [:]) }
    }

    @Test("a URL without host or database, or not postgresql://, is refused with what a good one looks like")
    func refusesBadURLs() throws {
        for bad in ["mysql://u@h/db", "postgresql://u@h", "postgresql:///db", "not a url"] {
            #expect(throws: PostgresTarget.InvalidURL.self, "\(bad)") { try PostgresTarget(url: bad, environment: [:]) }
        }
        do {
            _ = try PostgresTarget(url: "postgresql://u:secret@h", environment: [:])
            Issue.record("accepted a URL without a database")
        } catch let error as PostgresTarget.InvalidURL {
            #expect(error.description.contains("postgresql://user[:password]@host[:port]/database"))
            #expect(!error.description.contains("secret"))
        }
    }

    @Test("without one in the URL, the password comes from PGPASSWORD, else the matching ~/.pgpass line")
    func passwordSources() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-pgpass")
        defer { folder.remove() }
        try """
            # comment
            other.host:5432:*:analyst:wrong
            db.example.org:5432:hr:analyst:from\\:file
            *:*:*:*:fallback
            """.write(to: folder.path(".pgpass"), atomically: true, encoding: .utf8)
        let fromFile = try PostgresTarget(url: "postgresql://analyst@db.example.org/hr", environment: [:], home: folder.url.path)
        #expect(fromFile.password == "from:file")
        let wildcard = try PostgresTarget(url: "postgresql://someone@elsewhere/x", environment: [:], home: folder.url.path)
        #expect(wildcard.password == "fallback")
        let fromEnvironment = try PostgresTarget(url: "postgresql://analyst@db.example.org/hr",
                                                 environment: ["PGPASSWORD": "from-env"], home: folder.url.path)
        #expect(fromEnvironment.password == "from-env")
        let explicitFile = try PostgresTarget(url: "postgresql://analyst@db.example.org/hr",
                                              environment: ["PGPASSFILE": folder.path("none").path], home: folder.url.path)
        #expect(explicitFile.password == nil)
    }
}
