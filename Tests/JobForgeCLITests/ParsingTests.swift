import ArgumentParser
import Foundation
@testable import JobForgeCLI
import JobForgeCore
import JobForgeLLM
import JobForgeTestSupport
import JobForgeTitles
import Testing

// In-process parse tests: each command line goes through `JobForgeCommand.parseAsRoot`, as the
// executable's does, and nothing runs. The assertions follow swift-argument-parser's `AssertParse`
// and `AssertErrorMessage`.

/// Parses `arguments` as `jobforge` does; the command must parse, and be a `C`.
func parse<C>(_ arguments: [String], as type: C.Type,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> C {
    let command: any ParsableCommand
    do {
        command = try JobForgeCommand.parseAsRoot(arguments)
    } catch {
        Issue.record("\(arguments) did not parse: \(JobForgeCommand.message(for: error))", sourceLocation: sourceLocation)
        throw error
    }
    return try #require(command as? C, "\(arguments) parsed as \(Swift.type(of: command))", sourceLocation: sourceLocation)
}

/// What `jobforge` prints for `arguments`, which must fail to parse: the message alone, and with
/// the usage (`Error: ...`, `Usage: ...`).
func parseFailure(_ arguments: [String],
                  sourceLocation: SourceLocation = #_sourceLocation) -> (message: String, full: String) {
    do {
        let command = try JobForgeCommand.parseAsRoot(arguments)
        Issue.record("\(arguments) parsed as \(type(of: command)); it should have failed", sourceLocation: sourceLocation)
        return ("", "")
    } catch {
        return (JobForgeCommand.message(for: error), JobForgeCommand.fullMessage(for: error))
    }
}

/// A subcommand's help, on lines long enough that no value list wraps.
func help(_ command: any ParsableCommand.Type) -> String {
    JobForgeCommand.helpMessage(for: command, includeHidden: false, columns: 1000)
}

@Suite("command lines parse into typed values; bad values fail at parse time")
struct ParsingTests {
    static let categoryList = """
        Please provide one of the following:
          - skills
          - abilities
          - personal-attributes
          - knowledge
          - work-activities
          - work-context
          - interests
        """

    // MARK: show, export, descriptors

    @Test("show: --category takes every spelling accepted before, repeated or comma-separated, in order")
    func showCategories() throws {
        let show = try parse(["show", "21211", "--category", "skills", "work-context", "Work Context",
                              "--category", "work_activities,PersonalAttributes", "knowledge,"], as: ShowCommand.self)
        #expect(show.subject == "21211")
        #expect(show.filters.categories == [.skills, .workContext, .workContext, .workActivities, .personalAttributes, .knowledge])
        let filter = try show.filters.filter()
        #expect(filter.categories == [.skills, .workContext, .workActivities, .personalAttributes, .knowledge])
        #expect(filter.sources == nil)
        #expect(filter.minimumConfidence == nil)
    }

    @Test("show: --source takes authoritative, onet, llm and the spellings oasis, o*net, ai; --min-confidence a number")
    func showSources() throws {
        let show = try parse(["show", "JA-0002", "--source", "oasis,o*net", "ai", "--min-confidence", "0.9", "--json",
                              "--db", "x.sqlite"], as: ShowCommand.self)
        #expect(show.filters.sources == [.authoritative, .onet, .llm])
        #expect(show.filters.minConfidence == 0.9)
        #expect(show.output.json)
        #expect(show.store.path == "x.sqlite")
        let filter = try show.filters.filter()
        #expect(filter.sources == [.authoritative, .onet, .llm])
        #expect(filter.categories == nil)
        #expect(filter.minimumConfidence == 0.9)
    }

    @Test("show: an unknown category fails at parse time and lists the categories")
    func showBadCategory() {
        let failure = parseFailure(["show", "21211", "--category", "skils"])
        #expect(failure.message == "The value 'skils' is invalid for '--category <category>'. " + Self.categoryList)
        #expect(failure.full.contains("Usage: jobforge show"))
        // One bad piece of a comma-separated list is enough.
        #expect(parseFailure(["show", "21211", "--category", "skills,skils"]).message
            == "The value 'skills,skils' is invalid for '--category <category>'. " + Self.categoryList)
        #expect(parseFailure(["show", "21211", "--category", ","]).message.hasPrefix("The value ',' is invalid"))
    }

    @Test("show: an unknown source fails at parse time and lists the sources")
    func showBadSource() {
        #expect(parseFailure(["show", "21211", "--source", "web"]).message
            == "The value 'web' is invalid for '--source <source>'. Please provide one of 'authoritative', 'onet' or 'llm'.")
    }

    @Test("show: --min-confidence outside 0-1 fails in validate()")
    func showBadConfidence() {
        let failure = parseFailure(["show", "21211", "--min-confidence", "2"])
        #expect(failure.message == "--min-confidence must be between 0 and 1, not 2.0")
        #expect(failure.full.hasPrefix("Error: --min-confidence must be between 0 and 1"))
        #expect(failure.full.contains("Usage: jobforge show"))
    }

    @Test("show and export help list the valid categories and sources")
    func filterHelp() {
        for command: any ParsableCommand.Type in [ShowCommand.self, ExportCommand.self] {
            let text = help(command)
            #expect(text.contains("(values: skills, abilities, personal-attributes, knowledge, work-activities, work-context, interests)"))
            #expect(text.contains("(values: authoritative, onet, llm)"))
        }
        #expect(help(DescriptorsCommand.self).contains("(values: skills, abilities, personal-attributes"))
    }

    @Test("export: the shared filters, --format and --out parse")
    func export() throws {
        let export = try parse(["export", "--format", "json", "--out", "out/", "--source", "authoritative",
                                "--category", "personal-attributes", "--all-candidates"], as: ExportCommand.self)
        #expect(export.format == .json)
        #expect(export.out == "out/")
        #expect(export.allCandidates)
        #expect(export.filters.sources == [.authoritative])
        #expect(export.filters.categories == [.personalAttributes])
        #expect(parseFailure(["export", "--out", "o", "--source", "wiki"]).message.contains("Please provide one of 'authoritative'"))
        #expect(parseFailure(["export", "--out", "o", "--format", "xml"]).message
            == "The value 'xml' is invalid for '--format <format>'. Please provide one of 'csv' and 'json'.")
    }

    @Test("export --subjects: titles, profiles, unit-groups, several or comma-separated, all three by default, in the store's order")
    func exportSubjects() throws {
        #expect(try parse(["export", "--out", "o"], as: ExportCommand.self).subjectKinds == [.unitGroup, .profile, .title])
        #expect(try parse(["export", "--out", "o", "--subjects", "titles"], as: ExportCommand.self).subjectKinds == [.title])
        #expect(try parse(["export", "--out", "o", "--subjects", "titles,unit-groups"], as: ExportCommand.self).subjectKinds
            == [.unitGroup, .title])
        #expect(try parse(["export", "--out", "o", "--subjects", "profiles", "titles", "profiles"], as: ExportCommand.self).subjectKinds
            == [.profile, .title])
        #expect(parseFailure(["export", "--out", "o", "--subjects", "jobs"]).message
            .contains("Please provide one of 'titles', 'profiles' or 'unit-groups'"))
        let exportHelp = help(ExportCommand.self)
        #expect(exportHelp.contains("(values: titles, profiles, unit-groups)"))
        for documented in ["columns.csv (every column of every file", "powerquery.pq (a Power Query M script", "<column>__text",
                           "profile_label", "JSON values are typed"] {
            #expect(exportHelp.contains(documented), "export --help explains \(documented)")
        }
    }

    @Test("descriptors: --category is a Category, in any accepted spelling")
    func descriptors() throws {
        #expect(try parse(["descriptors", "--category", "work-context"], as: DescriptorsCommand.self).category == .workContext)
        #expect(try parse(["descriptors", "--category", "WorkContext"], as: DescriptorsCommand.self).category == .workContext)
        #expect(try parse(["descriptors"], as: DescriptorsCommand.self).category == nil)
        #expect(parseFailure(["descriptors", "--category", "hobbies"]).message
            == "The value 'hobbies' is invalid for '--category <category>'. " + Self.categoryList)
    }

    @Test("explain: subject, descriptor and --dimension parse as given")
    func explain() throws {
        let explain = try parse(["explain", "JA-0002", "time pressure", "--dimension", "frequency"], as: ExplainCommand.self)
        #expect(explain.subject == "JA-0002")
        #expect(explain.descriptor == "time pressure")
        #expect(explain.dimension == "frequency")
    }

    // MARK: build and the shared --data

    @Test("build: --data, repeated --step and the LLM options parse; --max-tokens-parameter defaults to max_completion_tokens")
    func build() throws {
        let build = try parse(["build", "--data", "/srv/data", "--step", "onet", "--step", "llm", "--max-tokens-parameter", "max_tokens",
                               "--model", "m", "--batch-size", "3", "--db", "s.sqlite", "--json"], as: BuildCommand.self)
        #expect(build.data.path == "/srv/data")
        #expect(build.steps == [.onet, .llm])
        #expect(build.llm.maxTokensParameter == .maxTokens)
        #expect(build.llm.model == "m")
        #expect(build.llm.batchSize == 3)
        #expect(build.store.path == "s.sqlite")
        #expect(build.output.json)

        let plain = try parse(["build"], as: BuildCommand.self)
        #expect(plain.data.path == nil)
        #expect(plain.steps.isEmpty)
        #expect(plain.llm.maxTokensParameter == .maxCompletionTokens)
    }

    @Test("build: an unknown step or --max-tokens-parameter fails at parse time and lists the valid values")
    func buildBadValues() {
        #expect(parseFailure(["build", "--step", "tbs"]).message
            == "The value 'tbs' is invalid for '--step <step>'. Please provide one of 'authoritative', 'titles', 'onet' or 'llm'.")
        #expect(parseFailure(["build", "--max-tokens-parameter", "max-tokens"]).message
            == "The value 'max-tokens' is invalid for '--max-tokens-parameter <field>'. Please provide one of 'max_completion_tokens' and 'max_tokens'.")
        #expect(help(BuildCommand.self).contains("(values: max_completion_tokens, max_tokens; default: max_completion_tokens)"))
    }

    @Test("build, titles import and resolve share one --data option")
    func sharedData() throws {
        #expect(try parse(["build", "--data", "d"], as: BuildCommand.self).data.path == "d")
        #expect(try parse(["titles", "import", "a.csv", "--data", "d"], as: TitlesImportCommand.self).data.path == "d")
        #expect(try parse(["resolve", "analyst", "--noc", "21211", "--data", "d"], as: ResolveCommand.self).data.path == "d")
        for command: any ParsableCommand.Type in [BuildCommand.self, TitlesImportCommand.self, ResolveCommand.self] {
            #expect(help(command).contains("--data <folder>"))
        }
    }

    @Test("the data folder is the flag's when it holds the OaSIS files, else JOBFORGE_DATA's; a flag without them is an error")
    func dataFolder() throws {
        let data = RepoPaths.data.path
        #expect(try DataOptions.folder(explicit: data, environment: [:]).path == data)
        #expect(try DataOptions.folder(explicit: nil, environment: ["JOBFORGE_DATA": data]).path == data)
        let empty = try TemporaryDirectory(prefix: "jobforge-data-options")
        defer { empty.remove() }
        let error = #expect(throws: (any Error).self) {
            try DataOptions.folder(explicit: empty.url.path, environment: ["JOBFORGE_DATA": data])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("does not hold the OaSIS files"))
    }

    // MARK: impute, suggest-noc, llm

    @Test("impute: --categories is a list of categories, repeated or comma-separated; the LLM options parse")
    func impute() throws {
        let impute = try parse(["impute", "--titles", "JA-0001", "JA-0002", "--categories", "skills,knowledge", "work context",
                                "--max-tokens-parameter", "max_tokens", "--temperature", "0.5", "--price-in", "1", "--price-out", "2",
                                "--dry-run"], as: ImputeCommand.self)
        #expect(impute.titles == ["JA-0001", "JA-0002"])
        #expect(impute.categories.flatMap(\.values) == [.skills, .knowledge, .workContext])
        #expect(impute.llm.maxTokensParameter == .maxTokens)
        #expect(impute.llm.temperature == 0.5)
        #expect(impute.llm.dryRun)
    }

    @Test("impute: an unknown category or --max-tokens-parameter fails at parse time and lists the valid values")
    func imputeBadValues() {
        #expect(parseFailure(["impute", "--categories", "skills,moods"]).message
            == "The value 'skills,moods' is invalid for '--categories <category>'. " + Self.categoryList)
        #expect(parseFailure(["impute", "--max-tokens-parameter", "tokens"]).message
            == "The value 'tokens' is invalid for '--max-tokens-parameter <field>'. Please provide one of 'max_completion_tokens' and 'max_tokens'.")
        #expect(help(ImputeCommand.self).contains("(values: skills, abilities, personal-attributes"))
    }

    @Test("impute and build: the LLM options' validate() rejects what spans or bounds them")
    func llmOptionsValidate() {
        #expect(parseFailure(["impute", "--price-in", "1"]).message == "give both --price-in and --price-out, or neither")
        #expect(parseFailure(["build", "--batch-size", "0"]).message == "--batch-size must be at least 1")
        #expect(parseFailure(["impute", "--concurrency", "0"]).message == "--concurrency must be at least 1")
        #expect(parseFailure(["impute", "--temperature", "3"]).message == "--temperature must be between 0 and 2")
    }

    @Test("suggest-noc: --apply and --min-confidence parse; a confidence outside 0-1 fails in validate()")
    func suggestNOC() throws {
        let suggest = try parse(["suggest-noc", "--apply", "--min-confidence", "0.8", "--max-tokens-parameter", "max_tokens"],
                                as: SuggestNOCCommand.self)
        #expect(suggest.apply)
        #expect(suggest.minConfidence == 0.8)
        #expect(suggest.llm.maxTokensParameter == .maxTokens)
        #expect(parseFailure(["suggest-noc", "--min-confidence", "1.5"]).message == "--min-confidence must be between 0 and 1")
    }

    @Test("llm outcomes: --status is a CellOutcomeStatus; an unknown one lists the statuses")
    func llmOutcomes() throws {
        let outcomes = try parse(["llm", "outcomes", "--status", "refused", "--run", "r1", "--title", "JA-0001"], as: LLMCommand.Outcomes.self)
        #expect(outcomes.status == .refused)
        #expect(outcomes.run == "r1")
        #expect(outcomes.title == "JA-0001")
        #expect(parseFailure(["llm", "outcomes", "--status", "ok"]).message == """
            The value 'ok' is invalid for '--status <status>'. Please provide one of the following:
              - answered
              - refused
              - invalid
              - unasked
              - missing
              - failed
            """)
        #expect(try parse(["llm", "cache", "--model", "gpt"], as: LLMCommand.Cache.self).model == "gpt")
    }

    // MARK: titles, resolve

    @Test("titles: the default list takes --method in the raw, dashed and short forms")
    func titlesList() throws {
        let list = try parse(["titles", "--unresolved", "--method", "unit-group-fallback"], as: TitlesListCommand.self)
        #expect(list.unresolved)
        #expect(list.method == .unitGroupFallback)
        #expect(try parse(["titles", "list", "--method", "fallback"], as: TitlesListCommand.self).method == .unitGroupFallback)
        #expect(try parse(["titles", "list", "--method", "noc2016_ambiguous"], as: TitlesListCommand.self).method == .ambiguousNOC2016)
        #expect(try parse(["titles", "list", "--method", "single"], as: TitlesListCommand.self).method == .singleProfile)
        let failure = parseFailure(["titles", "list", "--method", "guess"]).message
        #expect(failure.hasPrefix("The value 'guess' is invalid for '--method <method>'. Please provide one of the following:"))
        #expect(failure.contains("  - exact_label\n"))
        #expect(failure.contains("  - unit_group_fallback\n"))
    }

    @Test("titles import: file, --column, --mapping and --strict parse; a bad --column fails in validate()")
    func titlesImport() throws {
        let titles = try parse(["titles", "import", "arch.csv", "--column", "title=Job Title", "--column", "noc_2021=NOC",
                                "--mapping", "m.txt", "--strict"], as: TitlesImportCommand.self)
        #expect(titles.file == "arch.csv")
        #expect(titles.columns == ["title=Job Title", "noc_2021=NOC"])
        #expect(titles.mapping == "m.txt")
        #expect(titles.strict)
        #expect(parseFailure(["titles", "import", "a.csv", "--column", "salary=Pay"]).message.hasPrefix("--column 1: unknown field \"salary\""))
        #expect(parseFailure(["titles", "import", "a.csv", "--column", "title=T", "--column", "Job Title"]).message
            .hasPrefix("--column 2: \"Job Title\" is not FIELD=HEADER"))
    }

    @Test("resolve: --noc or --noc-2016 is required, checked in validate()")
    func resolve() throws {
        let resolve = try parse(["resolve", "data scientist", "--noc", "21211"], as: ResolveCommand.self)
        #expect(resolve.title == "data scientist")
        #expect(resolve.noc == "21211")
        #expect(try parse(["resolve", "analyst", "--noc-2016", "2171"], as: ResolveCommand.self).noc2016 == "2171")
        let failure = parseFailure(["resolve", "data scientist"])
        #expect(failure.message == "give the title's unit group with --noc CODE (or --noc-2016 CODE)")
        #expect(failure.full.contains("Usage: jobforge resolve"))
    }

    // MARK: onet, crosswalk

    @Test("crosswalk: the code is an O*NET-SOC code or a unit group, normalized; none needs --coverage")
    func crosswalk() throws {
        let soc = try #require(try parse(["crosswalk", "15-1252"], as: CrosswalkCommand.self).code)
        #expect(soc.kind == .soc("15-1252.00"))
        #expect(soc.text == "15-1252")
        #expect(try parse(["crosswalk", "2121"], as: CrosswalkCommand.self).code?.kind == .unitGroup("02121"))
        #expect(try parse(["crosswalk", "--coverage"], as: CrosswalkCommand.self).coverage)
        #expect(parseFailure(["crosswalk", "21-12"]).message
            == "The value '21-12' is invalid for '<code>': neither a NOC unit group (1-5 digits) nor an O*NET-SOC code (NN-NNNN.NN)")
        #expect(parseFailure(["crosswalk"]).message == "give a NOC unit group or an O*NET-SOC code, or --coverage")
    }

    @Test("onet fetch: --soc and --noc are normalized codes; exactly one of --noc, --soc, --all; --base-url a URL")
    func onetFetch() throws {
        #expect(try parse(["onet", "fetch", "--soc", "15-1252"], as: ONetFetchCommand.self).soc == "15-1252.00")
        #expect(try parse(["onet", "fetch", "--noc", "2121"], as: ONetFetchCommand.self).noc == "02121")
        let all = try parse(["onet", "fetch", "--all", "--base-url", "http://127.0.0.1:9/ws", "--concurrency", "2", "--cache-days", "1"],
                            as: ONetFetchCommand.self)
        #expect(all.all)
        #expect(all.baseURL == "http://127.0.0.1:9/ws")
        #expect(parseFailure(["onet", "fetch", "--soc", "151252"]).message
            == "The value '151252' is invalid for '--soc <soc>': not an O*NET-SOC code (NN-NNNN.NN)")
        #expect(parseFailure(["onet", "fetch", "--noc", "212110"]).message
            == "The value '212110' is invalid for '--noc <noc>': not a NOC unit group code (1-5 digits)")
        #expect(parseFailure(["onet", "fetch", "--soc", "15-1252.00", "--all"]).message == "give exactly one of --noc CODE, --soc CODE or --all")
        #expect(parseFailure(["onet", "fetch"]).message == "give exactly one of --noc CODE, --soc CODE or --all")
        #expect(parseFailure(["onet", "fetch", "--all", "--base-url", "nowhere"]).message == "--base-url nowhere is not a URL")
    }

    @Test("onet import: the release path and --crosswalk parse")
    func onetImport() throws {
        let onet = try parse(["onet", "import", "db_29_3_text.zip", "--crosswalk", "x.csv"], as: ONetImportCommand.self)
        #expect(onet.path == "db_29_3_text.zip")
        #expect(onet.crosswalk == "x.csv")
    }

    // MARK: tbs

    @Test("tbs scrape and refresh: --lang is en, fr or both; the crawl options parse")
    func tbsCrawl() throws {
        let scrape = try parse(["tbs", "scrape", "--lang", "fr", "--delay", "0", "--depth", "1", "--base-url", "http://127.0.0.1:8080"],
                               as: TBSScrapeCommand.self)
        #expect(scrape.crawl.lang == .fr)
        #expect(scrape.crawl.delay == 0)
        #expect(scrape.crawl.depth == 1)
        #expect(scrape.crawl.baseURL == "http://127.0.0.1:8080")
        #expect(try parse(["tbs", "refresh"], as: TBSRefreshCommand.self).crawl.lang == .both)
        #expect(parseFailure(["tbs", "scrape", "--lang", "de"]).message
            == "The value 'de' is invalid for '--lang <lang>'. Please provide one of 'en', 'fr' or 'both'.")
    }

    @Test("tbs scrape: --depth, --delay and --base-url are checked in validate()")
    func tbsCrawlValidate() {
        #expect(parseFailure(["tbs", "scrape", "--depth", "3"]).message == "--depth must be 0, 1 or 2")
        #expect(parseFailure(["tbs", "refresh", "--delay=-1"]).message == "--delay must be 0 or more seconds")
        #expect(parseFailure(["tbs", "scrape", "--base-url", "ftp://mirror"]).message == "--base-url ftp://mirror is not an http(s) URL")
    }

    @Test("tbs show and diff: --lang is a TBSLanguage, en by default; another fails at parse time with en and fr")
    func tbsLanguage() throws {
        let show = try parse(["tbs", "show", "AI", "--lang", "fr"], as: TBSShowCommand.self)
        #expect(show.code == "AI")
        #expect(show.lang == .fr)
        #expect(try parse(["tbs", "show", "AI"], as: TBSShowCommand.self).lang == .en)
        let diff = try parse(["tbs", "diff", "--lang", "fr", "--from", "1", "--to", "2"], as: TBSDiffCommand.self)
        #expect(diff.lang == .fr)
        #expect(diff.from == 1)
        #expect(diff.to == 2)
        #expect(try parse(["tbs", "diff"], as: TBSDiffCommand.self).lang == .en)
        for arguments in [["tbs", "show", "AI", "--lang", "both"], ["tbs", "diff", "--lang", "EN"]] {
            #expect(parseFailure(arguments).message.hasSuffix("is invalid for '--lang <lang>'. Please provide one of 'en' and 'fr'."))
        }
        #expect(help(TBSShowCommand.self).contains("(values: en, fr; default: en)"))
        #expect(try parse(["tbs", "export", "--out", "x"], as: TBSExportCommand.self).out == "x")
    }

    // MARK: the value types themselves

    @Test("CommaSeparated splits on commas, skips empty pieces, and fails on any bad piece or on none")
    func commaSeparated() {
        #expect(CommaSeparated<Source>(argument: "onet")?.values == [.onet])
        #expect(CommaSeparated<Source>(argument: "llm,,authoritative,")?.values == [.llm, .authoritative])
        #expect(CommaSeparated<Source>(argument: "llm, oasis")?.values == [.llm, .authoritative])
        #expect(CommaSeparated<Source>(argument: "llm,web") == nil)
        #expect(CommaSeparated<Source>(argument: "") == nil)
        #expect(CommaSeparated<Source>(argument: ",") == nil)
        #expect(CommaSeparated<Category>.allValueStrings == Category.allValueStrings)
    }

    @Test("every category spelling accepted before still parses: name, slug, dashes, spaces, case")
    func categorySpellings() {
        for category in Category.allCases {
            let name = category.rawValue
            for spelling in [name, name.lowercased(), category.slug, category.defaultValueDescription, name.uppercased(),
                             name.replacingOccurrences(of: " ", with: "")] {
                #expect(Category(argument: spelling) == category, "\(spelling)")
            }
        }
        #expect(Category(argument: "work") == nil)
    }
}
