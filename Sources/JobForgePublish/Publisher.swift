import Foundation
import JobForgeCore
import PostgresNIO

/// What a publish did, per relation and in all. `--json` prints it.
public struct PublishSummary: Sendable, Codable {
    public struct Relation: Sendable, Codable {
        public var name: String
        /// Rows the relation holds in PostgreSQL after the publish.
        public var rows: Int
        public var rowsWritten: Int
        public var rowsDeleted: Int
        /// Subjects whose rows were replaced (for a relation without subjects: 1 when it was rewritten).
        public var subjectsRewritten: Int
    }

    /// `user@host:port/database`, never the password.
    public var target: String
    public var schema: String
    /// The store's model generation now published.
    public var generation: String
    /// True when the server already held this generation: nothing was read or written.
    public var unchanged: Bool
    public var rowsWritten: Int
    public var rowsDeleted: Int
    public var relations: [Relation]
    public var seconds: Double
}

/// Publishes a store's model into the `jobforge` schema of a PostgreSQL database, in one
/// transaction: readers see the previous publication until it commits, and a failure or a
/// killed process leaves that publication whole.
///
/// ```swift
/// let publisher = Publisher(target: try PostgresTarget(url: "postgresql://me@localhost/hr"))
/// let summary = try await publisher.publish(StoreModel(store: store, labels: labels))
/// summary.rowsWritten   // 0 when the store has not changed since the last publish
/// ```
///
/// Incremental: each subject's rows are hashed; `jobforge.publication_subject` keeps the hash
/// published for each, and a publish rewrites only the subjects whose hash changed (and
/// deletes those that are gone). A relation's new shape replaces the relation whole.
public struct Publisher: Sendable {
    public static let schema = "jobforge"

    public var target: PostgresTarget
    public var version: String
    /// Called inside the transaction once everything is written, before COMMIT (the kill test's hook).
    public var beforeCommit: @Sendable () -> Void

    public init(target: PostgresTarget, version: String = JobForgeVersion.current,
                beforeCommit: @escaping @Sendable () -> Void = {}) {
        self.target = target
        self.version = version
        self.beforeCommit = beforeCommit
    }

    /// Publishes `model`; `progress` hears each stage's name (for a terminal's progress line).
    public func publish(_ model: some PublicationSource,
                        progress: @Sendable (String) -> Void = { _ in }) async throws -> PublishSummary {
        let started = Date()
        let logger = Self.quietLogger()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try configuration(), id: 1, logger: logger)
        } catch {
            throw PublishFailure.describe(error, target: target)
        }
        do {
            let summary = try await publish(model, on: connection, logger: logger, started: started, progress: progress)
            try? await connection.close()
            return summary
        } catch {
            try? await connection.close()
            throw PublishFailure.describe(error, target: target)
        }
    }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch target.tls {
        case .disable:
            tls = .disable
        case .prefer, .require:
            // As libpq's prefer and require: encrypted, the certificate not verified.
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tls = target.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: target.host, port: target.port, username: target.user,
                                                             password: target.password, database: target.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// postgres-nio logs below `.info`; nothing of it reaches the user's terminal.
    static func quietLogger() -> Logger {
        var logger = Logger(label: "jobforge.publish")
        logger.logLevel = .critical
        return logger
    }

    // MARK: The transaction

    private func publish(_ model: some PublicationSource, on connection: PostgresConnection, logger: Logger,
                         started: Date, progress: @Sendable (String) -> Void) async throws -> PublishSummary {
        let generation = try model.generation()
        let shape = SHA256.hex(model.relations.map(\.shapeText).joined(separator: "\n"))
        func summary(unchanged: Bool, _ relations: [PublishSummary.Relation]) -> PublishSummary {
            PublishSummary(target: target.description, schema: Self.schema, generation: generation, unchanged: unchanged,
                           rowsWritten: relations.reduce(0) { $0 + $1.rowsWritten },
                           rowsDeleted: relations.reduce(0) { $0 + $1.rowsDeleted },
                           relations: relations, seconds: Date().timeIntervalSince(started))
        }

        // The common case, answered without reading the store: the server holds this generation.
        if let last = try await lastPublication(connection, logger), last.generation == generation, last.shape == shape {
            return summary(unchanged: true, try await relationCounts(model.relations, connection, logger))
        }

        // Incremental when the server holds a publication of this shape: only the subjects the
        // store changed since its generation are read (StoreModel decides, by the change tracking).
        var basis = try await lastPublication(connection, logger)
        while true {
            progress("reading the store")
            let read = model.relations.map(PublicationRows.init)
            // The generation of what was read: a build committing after the check above is either
            // all in these rows and this generation, or in neither.
            let readGeneration = try model.read(into: read, since: basis?.shape == shape ? basis?.generation : nil)

            progress("writing to PostgreSQL")
            try await connection.query("BEGIN", logger: logger)
            do {
                // One publisher at a time; a second waits here for the first to commit.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('jobforge.publish'))", logger: logger)
                try await createBookkeeping(connection, logger)
                let last = try await lastPublication(connection, logger)
                if read.contains(where: { $0.scope != nil }), last?.generation != basis?.generation || last?.shape != basis?.shape {
                    // Another publish committed while this one read: what changed since its
                    // generation is not what was read. Read again, from what it published.
                    try await connection.query("ROLLBACK", logger: logger)
                    basis = last
                    continue
                }
                let fresh = last?.shape != shape
                if fresh {
                    try await recreate(model.relations, connection, logger)
                }
                let published = try await publishedHashes(connection, logger)
                var relations: [PublishSummary.Relation] = []
                for rows in read {
                    relations.append(try await write(rows, published: published[rows.relation.name] ?? [:], connection, logger))
                }
                if fresh {
                    // Built once over the loaded rows: maintained row by row during COPY, the keys
                    // and indexes were most of the server's share of a first publish.
                    try await createKeysAndIndexes(model.relations, connection, logger)
                }
                let written = relations.reduce(0) { $0 + $1.rowsWritten }, deleted = relations.reduce(0) { $0 + $1.rowsDeleted }
                try await connection.query("""
                    INSERT INTO jobforge.publication (generation, shape, published_at, jobforge_version, rows_written, rows_deleted)
                    VALUES (\(readGeneration), \(shape), now(), \(version), \(written), \(deleted))
                    """, logger: logger)
                let counts = try await relationCounts(model.relations, connection, logger)
                for index in relations.indices { relations[index].rows = counts[index].rows }
                beforeCommit()
                try await connection.query("COMMIT", logger: logger)
                var done = summary(unchanged: false, relations)
                done.generation = readGeneration
                return done
            } catch {
                // A dead connection rolls back by itself; an error on a live one is rolled back here.
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    struct Publication { var generation: String; var shape: String }

    func lastPublication(_ connection: PostgresConnection, _ logger: Logger) async throws -> Publication? {
        let exists = try await connection.query("SELECT to_regclass('jobforge.publication') IS NOT NULL", logger: logger)
        var present = false
        for try await value in exists.decode(Bool.self) { present = value }
        guard present else { return nil }
        let rows = try await connection.query(
            "SELECT generation, shape FROM jobforge.publication ORDER BY id DESC LIMIT 1", logger: logger)
        var last: Publication?
        for try await (generation, shape) in rows.decode((String, String).self) {
            last = Publication(generation: generation, shape: shape)
        }
        return last
    }

    func createBookkeeping(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS jobforge", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS jobforge.publication (
                id bigserial PRIMARY KEY,
                generation text NOT NULL,
                shape text NOT NULL,
                published_at timestamptz NOT NULL,
                jobforge_version text NOT NULL,
                rows_written bigint NOT NULL,
                rows_deleted bigint NOT NULL
            )
            """, logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS jobforge.publication_subject (
                relation text NOT NULL,
                subject text NOT NULL,
                row_hash bigint NOT NULL,
                row_count bigint NOT NULL,
                PRIMARY KEY (relation, subject)
            )
            """, logger: logger)
    }

    /// Drops and creates the model's relations (their shape changed, or this is the first publish).
    func recreate(_ relations: [PublicationTable], _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("DELETE FROM jobforge.publication_subject", logger: logger)
        for relation in relations {
            try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS jobforge.\(relation.name) CASCADE"), logger: logger)
            // Names quoted: the model's columns include words PostgreSQL reserves elsewhere (at, release).
            // The key and indexes come after the rows (`createKeysAndIndexes`), in the same transaction.
            let parts = relation.columns.map { "\"\($0.name)\" \($0.type.rawValue)\($0.nullable ? "" : " NOT NULL")" }
            try await connection.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE jobforge.\(relation.name) (\(parts.joined(separator: ", ")))
                """), logger: logger)
        }
    }

    /// The key and indexes of relations just created and loaded.
    func createKeysAndIndexes(_ relations: [PublicationTable], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for relation in relations {
            if !relation.primaryKey.isEmpty {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    ALTER TABLE jobforge.\(relation.name) ADD PRIMARY KEY (\(relation.primaryKey.map { "\"\($0)\"" }.joined(separator: ", ")))
                    """), logger: logger)
            }
            for index in relation.indexes {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE INDEX \(relation.name)_\(index.joined(separator: "_")) ON jobforge.\(relation.name) \
                    (\(index.map { "\"\($0)\"" }.joined(separator: ", ")))
                    """), logger: logger)
            }
        }
    }

    func publishedHashes(_ connection: PostgresConnection, _ logger: Logger) async throws -> [String: [String: Int64]] {
        var hashes: [String: [String: Int64]] = [:]
        let rows = try await connection.query("SELECT relation, subject, row_hash FROM jobforge.publication_subject", logger: logger)
        for try await (relation, subject, hash) in rows.decode((String, String, Int64).self) {
            hashes[relation, default: [:]][subject] = hash
        }
        return hashes
    }

    /// The size of each COPY data message.
    static let chunkSize = 2 << 20

    /// Replaces the rows of the subjects whose hash changed, deletes those of subjects gone.
    func write(_ rows: PublicationRows, published: [String: Int64], _ connection: PostgresConnection,
               _ logger: Logger) async throws -> PublishSummary.Relation {
        let relation = rows.relation
        let changed = rows.order.filter { published[$0] != Int64(bitPattern: rows.subjects[$0]!.hash) }
        // Gone: published subjects with no rows now, among those read (all of them, or the scope).
        let gone = published.keys.filter { rows.subjects[$0] == nil && (rows.scope?.contains($0) ?? true) }.sorted()
        var deleted = 0
        if !published.isEmpty {
            deleted = try await deleteRows(of: changed + gone, in: relation, connection, logger)
        }
        var written = 0
        if !changed.isEmpty {
            try await connection.query("SET LOCAL search_path TO jobforge", logger: logger)
            try await connection.copyFrom(table: relation.name, columns: relation.columns.map(\.name), logger: logger) { writer in
                var chunk = ByteBuffer()
                chunk.reserveCapacity(Self.chunkSize + (64 << 10))
                for subject in changed {
                    let entry = rows.subjects[subject]!
                    written += entry.rows
                    for range in entry.ranges {
                        var offset = range.lowerBound
                        while offset < range.upperBound {
                            let end = min(range.upperBound, offset + Self.chunkSize - chunk.readableBytes)
                            rows.bytes.withUnsafeBufferPointer { bytes in
                                _ = chunk.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[offset..<end]))
                            }
                            offset = end
                            if chunk.readableBytes >= Self.chunkSize {
                                try await writer.write(chunk)
                                chunk = ByteBuffer()
                                chunk.reserveCapacity(Self.chunkSize + (64 << 10))
                            }
                        }
                    }
                }
                if chunk.readableBytes > 0 { try await writer.write(chunk) }
            }
            try await connection.query("""
                INSERT INTO jobforge.publication_subject (relation, subject, row_hash, row_count)
                SELECT \(relation.name), s, h, c FROM unnest(\(changed), \(changed.map { Int64(bitPattern: rows.subjects[$0]!.hash) }),
                                                        \(changed.map { Int64(rows.subjects[$0]!.rows) })) AS t(s, h, c)
                ON CONFLICT (relation, subject) DO UPDATE SET row_hash = EXCLUDED.row_hash, row_count = EXCLUDED.row_count
                """, logger: logger)
        }
        if !gone.isEmpty {
            try await connection.query("""
                DELETE FROM jobforge.publication_subject WHERE relation = \(relation.name) AND subject = ANY(\(gone))
                """, logger: logger)
        }
        return .init(name: relation.name, rows: 0, rowsWritten: written, rowsDeleted: deleted, subjectsRewritten: changed.count)
    }

    /// Deletes the rows of `subjects` (keys of the relation's subject columns joined by tabs),
    /// through the key's index; a relation without subject columns is emptied.
    func deleteRows(of subjects: [String], in relation: PublicationTable, _ connection: PostgresConnection,
                    _ logger: Logger) async throws -> Int {
        guard !subjects.isEmpty else { return 0 }
        var query: PostgresQuery
        if relation.subjectColumns.isEmpty {
            query = PostgresQuery(unsafeSQL: "DELETE FROM jobforge.\(relation.name)")
        } else {
            var binds = PostgresBindings()
            let parts = subjects.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            for index in relation.subjectColumns.indices {
                binds.append(parts.map { index < $0.count ? $0[index] : "" })
            }
            let names = relation.subjectColumns.indices.map { "k\($0)" }
            let match = zip(relation.subjectColumns, names).map { "r.\"\($0)\" = gone.\($1)" }.joined(separator: " AND ")
            let arrays = relation.subjectColumns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
            query = PostgresQuery(unsafeSQL: """
                DELETE FROM jobforge.\(relation.name) AS r USING unnest(\(arrays)) AS gone(\(names.joined(separator: ", "))) WHERE \(match)
                """, binds: binds)
        }
        // The count of what went, read back through RETURNING: the command tag is not exposed.
        query.sql = "WITH deleted AS (\(query.sql) RETURNING 1) SELECT count(*)::bigint FROM deleted"
        var deleted = 0
        for try await count in try await connection.query(query, logger: logger).decode(Int64.self) { deleted = Int(count) }
        return deleted
    }

    func relationCounts(_ relations: [PublicationTable], _ connection: PostgresConnection,
                        _ logger: Logger) async throws -> [PublishSummary.Relation] {
        var counts: [String: Int] = [:]
        let rows = try await connection.query(
            "SELECT relation, sum(row_count)::bigint FROM jobforge.publication_subject GROUP BY relation", logger: logger)
        for try await (relation, count) in rows.decode((String, Int64).self) { counts[relation] = Int(count) }
        return relations.map { .init(name: $0.name, rows: counts[$0.name] ?? 0, rowsWritten: 0, rowsDeleted: 0, subjectsRewritten: 0) }
    }
}
