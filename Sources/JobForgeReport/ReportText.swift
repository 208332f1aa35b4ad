/// The page's own words in English or French (`--lang`). Data keeps its language: a title's
/// French name is shown where the job architecture has one; descriptor names are the guide's English.
public enum ReportLanguage: String, Sendable, CaseIterable, Codable {
    case english = "en"
    case french = "fr"
}

struct ReportText: Sendable {
    let language: ReportLanguage

    // swiftlint:disable:next cyclomatic_complexity
    subscript(_ key: String) -> String {
        let pair = Self.words[key] ?? (key, key)
        return language == .english ? pair.0 : pair.1
    }

    func category(_ name: String) -> String {
        guard language == .french else { return name }
        return Self.frenchCategories[name] ?? name
    }

    /// A count with the language's thousands separator: `58,089` / `58 089`.
    func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += language == .english ? "," : "\u{202F}" }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    static let frenchCategories = [
        "Skills": "Compétences", "Abilities": "Capacités", "Personal Attributes": "Attributs personnels",
        "Knowledge": "Connaissances", "Work Activities": "Activités de travail", "Work Context": "Contexte de travail",
        "Interests": "Intérêts",
    ]

    static let words: [String: (String, String)] = [
        "title": ("JobForge coverage report", "Rapport de couverture JobForge"),
        "generated": ("Generated", "Produit le"),
        "store": ("store", "base"),
        "summary": ("Summary", "Sommaire"),
        "titles": ("Job titles", "Titres de poste"),
        "resolved": ("resolved to an OaSIS profile", "rattachés à un profil OaSIS"),
        "possiblePerTitle": ("possible cells per title", "cellules possibles par titre"),
        "coverage": ("Coverage: who filled the cells", "Couverture : qui a rempli les cellules"),
        "coverageNote": ("Cells of the job titles, per category and dimension: filled by each source in precedence order, and still empty.",
                         "Cellules des titres de poste, par catégorie et dimension : remplies par chaque source dans l'ordre de préséance, et encore vides."),
        "authoritative": ("Authoritative (NOC/OaSIS)", "Faisant autorité (CNP/OaSIS)"),
        "onet": ("O*NET", "O*NET"),
        "llm": ("LLM", "LLM"),
        "empty": ("Empty", "Vides"),
        "possible": ("Possible", "Possibles"),
        "total": ("All categories", "Toutes les catégories"),
        "category": ("Category", "Catégorie"),
        "dimension": ("Dimension", "Dimension"),
        "cost": ("Cost of filling the rest", "Coût pour remplir le reste"),
        "costNote": ("What `jobforge impute` would ask the LLM for (every empty cell but interests), estimated as `impute --dry-run` does.",
                     "Ce que `jobforge impute` demanderait au LLM (toutes les cellules vides sauf les intérêts), estimé comme `impute --dry-run`."),
        "costNone": ("Not estimated.", "Non estimé."),
        "cells": ("cells", "cellules"),
        "requests": ("requests", "requêtes"),
        "cached": ("already cached", "déjà en cache"),
        "tokensIn": ("tokens in (estimated)", "jetons en entrée (estimation)"),
        "tokensOut": ("tokens out (estimated)", "jetons en sortie (estimation)"),
        "usd": ("estimated cost (USD)", "coût estimé (USD)"),
        "unknownPrice": ("unknown: the model's price is not known (give --price-in/--price-out to impute)",
                         "inconnu : le prix du modèle n'est pas connu (--price-in/--price-out)"),
        "model": ("model", "modèle"),
        "review": ("Titles that need a person", "Titres à examiner"),
        "reviewNone": ("No title needs a person: every title resolved with confidence above 0.6.",
                       "Aucun titre à examiner : tous sont rattachés avec une confiance supérieure à 0,6."),
        "reason": ("Why", "Pourquoi"),
        "action": ("What to do", "Quoi faire"),
        "unresolved": ("unresolved", "non rattaché"),
        "low_confidence": ("low confidence", "confiance faible"),
        "quality": ("Quality of each tier", "Qualité de chaque source"),
        "qualityNone": ("No evaluation has been run on this store: `jobforge evaluate` measures each tier's error against held-out truth.",
                        "Aucune évaluation dans cette base : `jobforge evaluate` mesure l'erreur de chaque source."),
        "onetEvaluation": ("O*NET levels against OaSIS's, unit groups held out (evaluate onet)",
                           "Niveaux O*NET comparés à ceux d'OaSIS, groupes de base tenus à l'écart (evaluate onet)"),
        "onetImportanceEvaluation": ("O*NET importances, each SOC code predicted from the others (evaluate onet)",
                                     "Importances O*NET, chaque code SOC prédit par les autres (evaluate onet)"),
        "llmEvaluation": ("LLM evaluated on cells of known truth", "LLM évalué sur des cellules de vérité connue"),
        "evaluatedValues": ("values measured", "valeurs mesurées"),
        "mae": ("mean absolute error", "erreur absolue moyenne"),
        "exact": ("exact (rounded to a whole point)", "exactes (arrondies au point)"),
        "withinOne": ("within one point", "à un point près"),
        "invalid": ("invalid answers (off the scale)", "réponses invalides (hors échelle)"),
        "evaluationTokensIn": ("tokens in", "jetons en entrée"),
        "evaluationTokensOut": ("tokens out", "jetons en sortie"),
        "evaluationCost": ("cost of the evaluation (USD)", "coût de l'évaluation (USD)"),
        "statedRange": ("stated confidence", "confiance déclarée"),
        "meanStated": ("mean stated", "moyenne déclarée"),
        "measuredWithinHalf": ("measured: share within half a point", "mesurée : part à un demi-point près"),
        "index": ("Profile sheets", "Fiches de profil"),
        "indexNote": ("Every title with its cells per source. Open a title for its sheet (printable).",
                      "Chaque titre avec ses cellules par source. Ouvrez un titre pour sa fiche (imprimable)."),
        "sheetLimit": ("Sheets are in this file for the first %d titles; `jobforge serve` shows every title.",
                       "Les fiches des %d premiers titres sont dans ce fichier ; `jobforge serve` les montre toutes."),
        "search": ("Filter titles", "Filtrer les titres"),
        "id": ("Id", "Id"),
        "jobTitle": ("Title", "Titre"),
        "profile": ("Profile", "Profil"),
        "method": ("Resolution", "Rattachement"),
        "confidence": ("Confidence", "Confiance"),
        "history": ("Where the numbers come from", "D'où viennent les chiffres"),
        "releases": ("Releases", "Versions"),
        "steps": ("Build steps", "Étapes de construction"),
        "runs": ("Runs", "Exécutions"),
        "source": ("Source", "Source"),
        "name": ("Name", "Nom"),
        "loaded": ("Loaded", "Chargée"),
        "run": ("Run", "Exécution"),
        "step": ("Step", "Étape"),
        "completed": ("Completed", "Terminée"),
        "command": ("Command", "Commande"),
        "started": ("Started", "Début"),
        "status": ("Status", "Statut"),
        "descriptor": ("Descriptor", "Descripteur"),
        "value": ("Value", "Valeur"),
        "scale": ("Scale", "Échelle"),
        "path": ("Inherited from", "Hérité de"),
        "back": ("Back to the report", "Retour au rapport"),
        "print": ("Print", "Imprimer"),
        "noSheet": ("This title's sheet is not in the file (see the limit above).", "La fiche de ce titre n'est pas dans le fichier."),
        "unitGroup": ("unit group", "groupe de base"),
    ]
}
