@testable import JobForgeCLI
import Testing

@Suite("CSV injection: which cells a spreadsheet would run, and which stay as they are")
struct SpreadsheetCellTests {
    @Test("a cell that begins with =, +, -, @, tab, CR or NUL gets a single quote, unless it is a plain number",
          arguments: [
              ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
              ("@SUM(1)", "'@SUM(1)"),
              ("+Analyst", "'+Analyst"),
              ("-Manager", "'-Manager"),
              ("\t=1+1", "'\t=1+1"),
              ("\r=1+1", "'\r=1+1"),
              ("\u{0}=1", "'\u{0}=1"),
              ("-1-1", "'-1-1"),           // Excel would compute -2
              ("-1+cmd", "'-1+cmd"),
              ("+1.2.3", "'+1.2.3"),
              ("-1e", "'-1e"),
              ("-inf", "'-inf"),
              ("-", "'-"),
              ("-0.5", "-0.5"),
              ("+3", "+3"),
              ("-.5", "-.5"),
              ("-1e-3", "-1e-3"),
              ("-2E+10", "-2E+10"),
              ("0.95", "0.95"),
              ("Data scientists", "Data scientists"),
              ("", ""),
              ("a=b", "a=b"),
          ])
    func neutralized(value: String, expected: String) {
        #expect(SpreadsheetCell.neutralized(value) == expected)
    }
}
