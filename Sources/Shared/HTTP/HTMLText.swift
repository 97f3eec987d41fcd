import Foundation

/// Text placed in server-rendered HTML: escaped for element content and quoted attributes, or percent-encoded for
/// a query value. Names come from catalogs, Envoys and control planes, so nothing in them may become markup.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    public static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// The pages' common look: plain HTML and CSS, readable without JavaScript.
    public static let style = """
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2330;background:#f6f7f9}
        h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
        table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
        th,td{padding:.4em .8em;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
        th{background:#eef1f5}.ok{color:#137333}.bad{color:#b3261e;font-weight:600}.warn{color:#a05a00}
        code{font-size:.9em}.muted{color:#5f6672;font-size:.9em}td.cell{min-width:7em}td.stale{background:#fff4e0}
        td.local{background:#e8f3ea}form{margin:1em 0}input{font:inherit;padding:.3em .5em}
        </style>
        """
}
