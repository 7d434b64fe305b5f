import Foundation

/// The normalized form of a caller's question, so that the same question asked with other case, accents,
/// punctuation or word order is recognized as one entry.
public enum FaqKey {
    static let stopWords: Set<String> = [
        "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "est", "ce", "que", "qu", "vous", "vos", "votre",
        "il", "y", "a", "t", "on", "je", "j", "me", "m", "se", "s", "en", "et", "ou", "au", "aux", "pour", "par",
        "avez", "etes", "faites", "est-ce", "possible", "peut", "on", "pouvez", "svp", "stp", "plait", "bonjour",
    ]

    public static func normalize(_ question: String) -> String {
        let folded = question.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "fr_FR")).lowercased()
        let words = folded.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let meaningful = words.filter { !stopWords.contains($0) }
        let chosen = meaningful.isEmpty ? words : meaningful
        // Word order of a short question does not change its meaning: sort the words.
        return Set(chosen).sorted().joined(separator: " ")
    }
}
