import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JobForgeCore
import JobForgeStore

/// One category's wide table, built while the long table streams by, in flat memory.
///
/// Cells arrive grouped by subject, so a subject's row is complete when the next subject starts.
/// The header (every descriptor column that any subject has, in guide order, with a `__text`
/// column where any cell has a text) is known only at the end: complete rows wait in a spool
/// file, compact and binary, and are written out in one sequential pass once the columns are known.
final class WidePivot {
    /// A descriptor column: what joins it to the long table and where it sorts.
    struct Column {
        var name: String
        var descriptorCode: String
        var dimension: String
        var scalePosition: Int?
        var hasText = false
    }

    /// What a wide row keeps of a winning cell.
    struct Value {
        var column: Int
        var value: Double
        var text: String?
        var source: Source
        var confidence: Double
    }

    let category: Category
    private(set) var columns: [Column] = []
    private var columnByName: [String: Int] = [:]
    /// The column of each of the long table's cells (`LongRow.cell`), once its name is known.
    private var columnByCell: [Int?] = []
    private var subject: Subject?
    private var row: [Value] = []
    private let spool: Spool
    private(set) var rows = 0

    init(category: Category, spoolIn folder: URL) throws {
        self.category = category
        spool = try Spool(in: folder, name: category.slug)
    }

    /// Adds a winning cell of the category: `cell` is the row's, `source` its provenance's.
    func add(_ row: LongRow, cell: LongRowCell, source: Source) throws {
        if row.subject != subject {
            try endRow()
            subject = row.subject
        }
        let index: Int
        if Int(row.cell) < columnByCell.count, let known = columnByCell[Int(row.cell)] {
            index = known
        } else {
            let name = Exporter.columnName(cell)
            if let known = columnByName[name] {
                index = known
            } else {
                index = columns.count
                columnByName[name] = index
                columns.append(Column(name: name, descriptorCode: cell.descriptorCode, dimension: cell.dimension.rawValue,
                                      scalePosition: cell.scalePosition))
            }
            while columnByCell.count <= Int(row.cell) { columnByCell.append(nil) }
            columnByCell[Int(row.cell)] = index
        }
        let text = row.text.flatMap { $0.isEmpty ? nil : $0 }
        if text != nil { columns[index].hasText = true }
        self.row.append(Value(column: index, value: row.value, text: text, source: source, confidence: row.confidence))
    }

    /// Spools the current subject's row.
    func endRow() throws {
        guard let subject, !row.isEmpty else { return }
        try spool.writeRow(subject: subject, values: row)
        rows += 1
        row.removeAll(keepingCapacity: true)
    }

    /// The descriptor columns in guide order, then by code, scale position and dimension.
    func sortedColumns(guideOrder: [String: Int]) -> [Column] {
        columns.sorted {
            (guideOrder[$0.descriptorCode] ?? Int.max, $0.descriptorCode, $0.scalePosition ?? 9, $0.dimension)
                < (guideOrder[$1.descriptorCode] ?? Int.max, $1.descriptorCode, $1.scalePosition ?? 9, $1.dimension)
        }
    }

    /// Writes the table: its header, then every spooled row, each descriptor column at its place.
    func write(to writer: TableWriter, order: [Column], labels: [Subject: String]) throws {
        try endRow()
        subject = nil
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1.name, $0) })
        let place = columns.map { position[$0.name]! }
        let hasText = order.map(\.hasText)
        var slots = [Value?](repeating: nil, count: order.count)
        try spool.readRows { subject, values in
            for value in values { slots[place[value.column]] = value }
            try writer.writeRow { row in
                row.text(subject.kind.rawValue)
                row.text(subject.code)
                row.text(labels[subject])
                for (column, slot) in slots.enumerated() {
                    guard let cell = slot else {
                        row.empty()
                        if hasText[column] { row.empty() }
                        row.empty()
                        row.empty()
                        continue
                    }
                    row.number(cell.value)
                    if hasText[column] { row.text(cell.text) }
                    row.text(cell.source.rawValue)
                    row.fixed3(cell.confidence)
                }
            }
            for value in values { slots[place[value.column]] = nil }
        }
    }
}

/// Complete wide rows waiting for their table's header: an unlinked temporary file beside the
/// export (gone with the process, whatever ends it), written and read in 1 MB blocks.
final class Spool {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private static let blockSize = 1 << 20

    init(in folder: URL, name: String) throws {
        path = folder.appendingPathComponent(".\(name).spool-\(getpid())").path
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot write in \(folder.path): \(String(cString: strerror(errno)))")
        }
        unlink(path)
        buffer.reserveCapacity(Self.blockSize + (1 << 16))
    }

    deinit { close(descriptor) }

    // A row: its byte length, the subject's kind and code, the number of values, then each value:
    // column, value, confidence, source, text (length, or 0xFFFFFFFF for none).
    func writeRow(subject: Subject, values: [WidePivot.Value]) throws {
        // Encoded into a local array, moved out and back: appending to the property itself would
        // check exclusive access at every append.
        var bytes: [UInt8] = []
        swap(&bytes, &buffer)
        let start = bytes.count
        Self.append(UInt32(0), to: &bytes)
        bytes.append(UInt8(Subject.Kind.allCases.firstIndex(of: subject.kind)!))
        Self.append(subject.code, to: &bytes)
        Self.append(UInt32(values.count), to: &bytes)
        for value in values {
            Self.append(UInt32(value.column), to: &bytes)
            Self.append(value.value.bitPattern, to: &bytes)
            Self.append(value.confidence.bitPattern, to: &bytes)
            bytes.append(UInt8(Source.allCases.firstIndex(of: value.source)!))
            if let text = value.text { Self.append(text, to: &bytes) } else { Self.append(UInt32.max, to: &bytes) }
        }
        let length = UInt32(bytes.count - start)
        withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(start..<start + 4, with: $0) }
        swap(&bytes, &buffer)
        if buffer.count >= Self.blockSize { try flush() }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    private static func append(_ value: UInt64, to bytes: inout [UInt8]) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        append(UInt32(text.utf8.count), to: &bytes)
        bytes += text.utf8
    }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("cannot write the export's temporary file \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Every row written, in order.
    func readRows(_ body: (Subject, [WidePivot.Value]) throws -> Void) throws {
        try flush()
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw CommandFailure("cannot read the export's temporary file \(path): \(String(cString: strerror(errno)))")
        }
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        var start = 0, end = 0
        var values: [WidePivot.Value] = []
        /// Moves what is left to the front and reads more; false at the end of the file.
        func refill(needing count: Int) throws -> Bool {
            if start > 0 {
                block.replaceSubrange(0..<end - start, with: block[start..<end])
                end -= start
                start = 0
            }
            if block.count < count { block += [UInt8](repeating: 0, count: count - block.count) }
            let read = block.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + end, $0.count - end) }
            guard read >= 0 else {
                throw CommandFailure("cannot read the export's temporary file \(path): \(String(cString: strerror(errno)))")
            }
            end += read
            return read > 0
        }
        while true {
            if end - start < 4 {
                guard try refill(needing: 4) else { break }
                if end - start < 4 { continue }
            }
            let length = Int(block.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: UInt32.self) }.littleEndian)
            while end - start < length {
                guard try refill(needing: length) else {
                    throw CommandFailure("the export's temporary file \(path) ended early")
                }
            }
            var at = start + 4
            try block.withUnsafeBytes { bytes in
                func u32() -> UInt32 {
                    defer { at += 4 }
                    return bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
                }
                func u64() -> UInt64 {
                    defer { at += 8 }
                    return bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian
                }
                func string(_ count: Int) -> String {
                    defer { at += count }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
                }
                let kind = Subject.Kind.allCases[Int(bytes[at])]
                at += 1
                let code = string(Int(u32()))
                let count = Int(u32())
                values.removeAll(keepingCapacity: true)
                for _ in 0..<count {
                    let column = Int(u32())
                    let value = Double(bitPattern: u64())
                    let confidence = Double(bitPattern: u64())
                    let source = Source.allCases[Int(bytes[at])]
                    at += 1
                    let length = u32()
                    let text = length == UInt32.max ? nil : string(Int(length))
                    values.append(WidePivot.Value(column: column, value: value, text: text, source: source, confidence: confidence))
                }
                try body(Subject(kind: kind, code: code), values)
            }
            start += length
        }
    }
}
