import Foundation
import PostgresNIO

/// Why a publish failed, in one line that names the server and database and says what to do.
/// It never holds the password: it is built from ``PostgresTarget/description`` and the server's
/// message, and any text that still holds the password has it replaced.
public struct PublishFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(_ message: String, hiding password: String?) {
        if let password, !password.isEmpty {
            self.message = message.replacingOccurrences(of: password, with: "***")
        } else {
            self.message = message
        }
    }

    /// What the user reads for an error of the PostgreSQL client, while connecting or writing.
    static func describe(_ error: any Error, target: PostgresTarget) -> PublishFailure {
        let server = "PostgreSQL at \(target.host):\(target.port)"
        let database = "database '\(target.database)'"
        var error = error
        if let transaction = error as? PostgresTransactionError {
            error = transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? error
        }
        guard let psql = error as? PSQLError else {
            if error is PublishFailure { return error as! PublishFailure }
            return PublishFailure("cannot publish to \(database) on \(server): \(String(describing: error))", hiding: target.password)
        }
        let state = psql.serverInfo?[.sqlState] ?? ""
        let serverMessage = psql.serverInfo?[.message] ?? ""
        let message: String
        switch (psql.code, state) {
        case (.connectionError, _):
            let reason = psql.underlying.map { String(describing: $0) } ?? "no connection"
            message = "cannot reach \(server) to publish to \(database): \(reason). Check that the server runs and "
                + "accepts TCP connections there, or fix the host and port in the URL (--to or JOBFORGE_POSTGRES)."
        case (.server, "28P01"), (.server, "28000"):
            message = "\(server) refused user '\(target.user)' for \(database): \(serverMessage). Give the right "
                + "password (in the URL, PGPASSWORD or ~/.pgpass) or another user."
        case (.authMechanismRequiresPassword, _):
            message = "\(server) asks user '\(target.user)' for a password to open \(database) and none was given: "
                + "put it in the URL, PGPASSWORD or ~/.pgpass."
        case (.server, "3D000"):
            message = "\(database) does not exist on \(server): create it (createdb -h \(target.host) -p \(target.port) "
                + "-U \(target.user) \(target.database)) or name another database in the URL."
        case (.server, "42501"):
            message = "user '\(target.user)' may not create or write schema 'jobforge' in \(database) on \(server): "
                + "\(serverMessage). Ask its owner to GRANT CREATE ON DATABASE \(target.database) TO \(target.user), or to "
                + "create the schema for you (CREATE SCHEMA jobforge AUTHORIZATION \(target.user))."
        case (.sslUnsupported, _):
            message = "\(server) does not accept TLS connections, which sslmode=require asks for: use sslmode=disable or "
                + "prefer on a trusted network, or enable ssl on the server."
        case (.server, _):
            message = "\(server) refused the publication to \(database): \(serverMessage) (SQLSTATE \(state)). "
                + "Nothing was written; the previous publication is unchanged."
        case (.serverClosedConnection, _), (.uncleanShutdown, _):
            message = "\(server) closed the connection while publishing to \(database): nothing was written, the previous "
                + "publication is unchanged. Run jobforge publish again when the server is back."
        default:
            message = "cannot publish to \(database) on \(server): \(psql.code)"
                + (serverMessage.isEmpty ? "" : ": \(serverMessage)")
        }
        return PublishFailure(message, hiding: target.password)
    }
}
