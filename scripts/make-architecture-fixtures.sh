#!/usr/bin/env bash
# Makes the job architecture fixtures of Tests/Fixtures/architectures/ the way users make their
# files: with a spreadsheet (LibreOffice here, standing in for Excel). Run it again only to change
# them; the tests read the committed files and never start LibreOffice.
#
#   scripts/make-architecture-fixtures.sh
#
# Needs soffice (LibreOffice 7.x), xlsxwriter (`pip install xlsxwriter`) and, for the
# password-protected workbook, msoffcrypto-tool (`pip install msoffcrypto-tool`), which writes the
# encrypted OOXML container Excel writes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/Fixtures/architectures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The source workbook, as flat ODF: sheet "Titles" (codes as text and as numbers shown with the
# format 00000, French accents, the euro sign, curly quotes, oe ligatures) and sheet "Archive"
# (a code typed as a plain number, which a spreadsheet shows without its zeros).
cat > "$work/architecture.fods" <<'FODS'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
  xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
  office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:automatic-styles>
  <number:number-style style:name="N5digits"><number:number number:decimal-places="0" number:min-integer-digits="5"/></number:number-style>
  <style:style style:name="code5" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N5digits"/>
 </office:automatic-styles>
 <office:body>
  <office:spreadsheet>
   <table:table table:name="Titles">
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Job ID</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Job Title</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Job Title (FR)</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Job Family</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>NOC 2021</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Headcount</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Notes</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>FX-01</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Legislators</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Parlementaire élu</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Affaires publiques</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>00010</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="8"><text:p>8</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Coût : 12 € par « séance »</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>FX-02</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Senior government managers and officials</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Cadre supérieur de l’administration publique</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Haute direction</text:p></table:table-cell>
     <table:table-cell table:style-name="code5" office:value-type="float" office:value="11"><text:p>00011</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>“Curly” quotes; œuvre, façade</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>FX-03</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Purchasing contracts manager</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Gestionnaire des contrats d’achat</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Finances</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="10012"><text:p>10012</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="33"><text:p>33</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Budget, contrats; achats</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>FX-04</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Insurance manager</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Gestionnaire des assurances</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Finances</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>10020</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="19"><text:p>19</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Œuvres sociales – 5 €</text:p></table:table-cell>
    </table:table-row>
   </table:table>
   <table:table table:name="Archive">
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Job Title</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>NOC 2021</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Senior managers - financial services</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="12"><text:p>12</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Directeur d’école</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>00013</text:p></table:table-cell>
    </table:table-row>
   </table:table>
  </office:spreadsheet>
 </office:body>
</office:document>
FODS

convert() {  # convert FILTER OUTPUT-NAME: the first sheet of the workbook, as a spreadsheet saves it
    soffice --headless --norestore -env:UserInstallation=file://$work/profile \
        --convert-to "$1" --outdir "$work/converted" "$work/architecture.fods" >/dev/null
    mv "$work/converted/"* "$out/$2"
}
# CSV filter options: field separator, text delimiter, character set (1 = Windows-1252,
# 76 = UTF-8, 65535 = UTF-16), first line; cells are saved as shown (00011, not 11).
convert "xlsx:Calc MS Excel 2007 XML" architecture.xlsx
convert "csv:Text - txt - csv (StarCalc):44,34,1,1" architecture-windows1252.csv     # Excel's "CSV (Comma delimited)"
convert "csv:Text - txt - csv (StarCalc):59,34,1,1" architecture-semicolon.csv       # French-Canadian Excel
convert "csv:Text - txt - csv (StarCalc):9,34,76,1" architecture-tab.tsv
convert "csv:Text - txt - csv (StarCalc):9,34,65535,1" architecture-utf16.txt        # Excel's "Unicode Text"

# A workbook as export tools write it: inline strings, no shared strings part (XlsxWriter's
# constant_memory mode; `pip install xlsxwriter`), a code as text and one as a plain number.
python3 - "$out/architecture-inline-strings.xlsx" <<'PY'
import sys, xlsxwriter
workbook = xlsxwriter.Workbook(sys.argv[1], {"constant_memory": True})
sheet = workbook.add_worksheet("Export")
for row, values in enumerate([["Job ID", "Job Title", "NOC 2021"], ["IS-1", "Data scientist", "21211"],
                              ["IS-2", "Historienne d’art", "00010"]]):
    for column, value in enumerate(values):
        sheet.write_string(row, column, value)
sheet.write_number(3, 0, 7)
sheet.write_string(3, 1, "Legislators")
sheet.write_number(3, 2, 10)
workbook.close()
PY

# A workbook cut short (a download that stopped) and one saved with a password ("secret").
head -c 2000 "$out/architecture.xlsx" > "$out/architecture-truncated.xlsx"
msoffcrypto-tool -e -p secret "$out/architecture.xlsx" "$out/architecture-password.xlsx"
ls -l "$out"
