# rules2ere.awk - the patterns of callsight rules files (callsight.rules(5)) as POSIX extended
# regexps for `grep -E -f`, one per line, so grep can be timed on the same work as callsightd.
# Conversions: named groups (?<n>...) and (?:...) become plain groups; \d -> [0-9]; \/ -> /;
# lazy quantifiers *? +? ?? become greedy (same lines match); a /.../i pattern gets [xX] classes for
# its letters. Patterns with PCRE-only syntax grep cannot take (look-around (?= (?! (?<= (?<!,
# atomic (?>, inline flags other than (?J) (?s), \x{..}, backreferences, a ] escaped inside
# brackets) are skipped. A leading ^ (the message start) becomes ">: " (the end of the header). The count of skipped ones
# and their rule names go to stderr as "skipped N: name ...".
# usage: awk -f rules2ere.awk daemon/rules/*.rules > patterns.ere
function conv(p, icase,    out, i, c, n, inb, nx) {
	out = ""
	n = length(p)
	inb = 0
	for (i = 1; i <= n; i++) {
		c = substr(p, i, 1)
		if (c == "\\") {
			nx = substr(p, i + 1, 1)
			i++
			if (inb) {
				if (nx == "d") out = out "0-9"
				else if (nx == "s") out = out "[:space:]"
				else if (nx == "w") out = out "[:alnum:]_"
				else if (nx == "]" && (substr(out, length(out), 1) == "[" || substr(out, length(out) - 1, 2) == "[^")) out = out "]"	# POSIX: first in the brackets
				else if (nx == "]") return "\001"	# a literal ] elsewhere in brackets: no POSIX spelling
				else if (nx == "\\") out = out "\\"
				else if (nx ~ /[SDW]/) return "\001"
				else out = out nx
				continue
			}
			if (nx == "d") out = out "[0-9]"
			else if (nx == "D") out = out "[^0-9]"
			else if (nx == "/") out = out "/"
			else if (nx ~ /[sSwWbB]/) out = out "\\" nx
			else if (nx ~ /[0-9]/ || nx == "x" || nx == "Q" || nx == "E" || nx == "p" || nx == "K" || nx == "G" || nx == "A" || nx == "z" || nx == "Z") return "\001"
			else if (nx == "t") out = out "\t"
			else out = out "\\" nx
			continue
		}
		if (inb) {
			out = out c
			if (c == "]" && !(substr(out, length(out) - 1, 1) == "[" || substr(out, length(out) - 2, 2) == "[^")) inb = 0
			continue
		}
		if (c == "[") { inb = 1; out = out c; continue }
		if (c == "(" && substr(p, i + 1, 1) == "?") {
			nx = substr(p, i + 2, 1)
			if (nx == ":") { out = out "("; i += 2; continue }
			if (match(substr(p, i), /^\(\?[sJ]+\)/)) { i += RLENGTH - 1; continue }	# (?J) (?s): no meaning for grep
			if (nx == "<" && substr(p, i + 3, 1) ~ /[A-Za-z_]/) {
				i += 3
				while (substr(p, i, 1) != ">" && i <= n) i++
				out = out "("
				continue
			}
			if (nx == "P" && substr(p, i + 3, 1) == "<") {
				i += 4
				while (substr(p, i, 1) != ">" && i <= n) i++
				out = out "("
				continue
			}
			return "\001"	# look-around, atomic, inline flags
		}
		if ((c == "*" || c == "+" || c == "?" || c == "}") && substr(p, i + 1, 1) == "?") {
			out = out c; i++; continue	# lazy -> greedy
		}
		if (icase && c ~ /[A-Za-z]/) { out = out "[" tolower(c) toupper(c) "]"; continue }
		out = out c
	}
	return out
}
/^[ \t]*(#|$)/ { next }
/^[ \t]*disable[ \t]/ { next }
{
	line = $0
	s = index(line, " /"); t = index(line, "\t/")
	if (s == 0 || (t > 0 && t < s)) s = t
	if (s == 0) next
	rest = substr(line, s + 2)
	# the closing slash: not escaped, not inside a bracket expression
	n = length(rest); inb = 0; e = 0
	for (i = 1; i <= n; i++) {
		c = substr(rest, i, 1)
		if (c == "\\") { i++; continue }
		if (inb) { if (c == "]" && i > inb + 1 && !(i == inb + 2 && substr(rest, inb + 1, 1) == "^")) inb = 0; continue }
		if (c == "[") { inb = i; continue }
		if (c == "/") { e = i; break }
	}
	if (e == 0) next
	pat = substr(rest, 1, e - 1)
	icase = substr(rest, e + 1, 1) == "i"
	r = conv(pat, icase)
	# grep sees the whole line, callsightd the message: a message anchor becomes the header's end
	if (substr(r, 1, 1) == "^") r = ">: " substr(r, 2)
	if (r == "\001") { skipped++; names = names " " $1; next }
	print r
	kept++
}
END { printf "kept %d, skipped %d:%s\n", kept, skipped, names > "/dev/stderr" }
