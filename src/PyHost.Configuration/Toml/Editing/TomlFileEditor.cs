using System.Diagnostics.CodeAnalysis;
using System.Text;
using PyHost.Configuration.Diagnostics;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace PyHost.Configuration.Toml.Editing;

/// <summary>
/// Writes a change into the user's pyhost.toml the way <c>git config</c> edits one key: a changed value replaces
/// only that value's text, a new key goes at the end of its table (or a new table at the end of the file), a removed
/// key loses its line, a new <c>[[site]]</c> or <c>[app.NAME]</c> goes after its kind; every other byte — comments,
/// blank lines, key order, quoting, relative paths — stays. A change the file's shape cannot take (a value written
/// inline in a list, an item the server filled in that the file does not have) is refused with the reason.
/// </summary>
public static partial class TomlFileEditor
{
    /// <param name="baseDirectory">The file's directory: a changed path the file wrote relative is written relative to it again.</param>
    public static bool TryApply(string text, IReadOnlyList<ConfigEdit> edits, string baseDirectory,
        [NotNullWhen(true)] out string? edited, [NotNullWhen(false)] out string? error)
    {
        edited = null;
        TomlFileIndex? index = TomlFileIndex.Build(text, out string? invalid);
        if (index is null)
        {
            error = invalid!;
            return false;
        }
        var session = new Session(index, baseDirectory);
        foreach (ConfigEdit edit in edits)
        {
            error = edit switch
            {
                SetKey set => session.Set(set),
                RemoveKey remove => session.Remove(remove.PathText),
                AddTable add => session.AddTable(add),
                RemoveTable remove => session.RemoveTable(remove.PathText),
                UnmappableChange unmappable => unmappable.Reason,
                _ => $"{edit.PathText}: unknown kind of change",
            };
            if (error is not null)
            {
                error = $"{edit.PathText}: {error}";
                return false;
            }
        }
        if (!session.TryFinish(out edited, out error))
        {
            return false;
        }
        var diagnostics = new DiagnosticBag();
        if (TomlDocumentReader.Read(edited, "pyhost.toml", diagnostics) is null)
        {
            error = "the edited file would not read back: " + string.Join("; ", diagnostics.Items.Select(item => item.Message));
            edited = null;
            return false;
        }
        return true;
    }

    /// <summary>The text changes of one edit, applied together at the end (offsets are the original text's).</summary>
    private sealed class Session(TomlFileIndex index, string baseDirectory)
    {
        private readonly List<(int Start, int Length, string Insert)> _changes = [];
        private readonly Dictionary<string, StringBuilder> _newTables = new(StringComparer.Ordinal);

        private string Text => index.Text;

        public string? Set(SetKey edit)
        {
            string path = edit.PathText;
            if (index.Keys.TryGetValue(path, out KeyEntry? key))
            {
                ValueSyntax value = key.KeyValue.Value!;
                Replace(value.Span.Start.Offset, TomlFileIndex.End(value), edit.IsPath ? AsWritten(value, edit.Value) : edit.Value);
                return null;
            }
            if (index.TablesByPath.ContainsKey(path))
            {
                return "the file has it as a [table], and the change gives it a value written inline: edit the file itself";
            }
            return AddKey(edit.Path, edit.Value);
        }

        /// <summary>A new path (absolute, as the model keeps it) relative to the file, when the file wrote the old one so.</summary>
        private string AsWritten(ValueSyntax old, string value)
        {
            if (old is not StringValueSyntax { Value: { Length: > 0 } before } || Path.IsPathRooted(before) || before.StartsWith('~')
                || SyntaxParser.Parse($"v = {value}").KeyValues.FirstOrDefault()?.Value is not StringValueSyntax { Value: { } path }
                || !Path.IsPathRooted(path))
            {
                return value;
            }
            return TomlDocumentReader.Quote(Path.GetRelativePath(baseDirectory, path));
        }

        /// <summary>A key the file does not have: in the nearest table of its path that the file has.</summary>
        private string? AddKey(IReadOnlyList<PathStep> path, string value)
        {
            for (int at = path.Count - 1; at >= 0; at--)
            {
                string prefix = PathStep.Join(path.Take(at));
                IReadOnlyList<PathStep> rest = path.Skip(at).ToList();
                string line = $"{string.Join('.', rest.Select(step => step.TomlKey))} = {value}";
                if (index.InlineTables.TryGetValue(prefix, out InlineTableSyntax? inline))
                {
                    return rest.Any(step => step.Index is not null) ? NotInFile(path, at) : InsertIntoInline(inline, line);
                }
                if (at > 0 && index.Keys.ContainsKey(prefix))
                {
                    return $"{prefix} is written as one value in the file: edit the file itself";
                }
                if (index.TablesByPath.TryGetValue(prefix, out HeaderTable? table))
                {
                    if (rest.Take(rest.Count - 1).Any(step => step.Index is not null))
                    {
                        return NotInFile(path, at);
                    }
                    if (at == 0 && rest.Count > 1)
                    {
                        // No table of the path in the file: a new [table] at its end, shared by the keys it gets.
                        string header = string.Join('.', rest.Take(rest.Count - 1).Select(step => step.TomlKey));
                        if (!_newTables.TryGetValue(header, out StringBuilder? block))
                        {
                            _newTables[header] = block = new StringBuilder($"[{header}]\n");
                        }
                        block.Append(rest[^1].TomlKey).Append(" = ").Append(value).Append('\n');
                        return null;
                    }
                    Insert(table.End, Indentation(table) + line + "\n");
                    return null;
                }
            }
            return "no place for it in the file";
        }

        private static string NotInFile(IReadOnlyList<PathStep> path, int from)
        {
            int item = from;
            while (path[item].Index is null)
            {
                item++;
            }
            return $"{PathStep.Join(path.Take(item + 1))} is not written in the file (the server filled it in): add it to the file first";
        }

        private string? InsertIntoInline(InlineTableSyntax inline, string line)
        {
            InlineTableItemSyntax? last = inline.Items.ChildrenCount == 0 ? null : inline.Items.GetChild(inline.Items.ChildrenCount - 1);
            if (last is null)
            {
                Replace(inline.OpenBrace!.Span.Start.Offset, TomlFileIndex.End(inline.CloseBrace!), $"{{ {line} }}");
            }
            else
            {
                Insert(TomlFileIndex.End(last.KeyValue!.Value!), ", " + line);
            }
            return null;
        }

        public string? Remove(string path)
        {
            if (index.Keys.TryGetValue(path, out KeyEntry? key))
            {
                RemoveKeyText(key);
                return null;
            }
            // A table (an optional one now unset), or nothing: the value came from a flag or a default, not the file.
            return index.TablesByPath.ContainsKey(path) ? RemoveTable(path) : null;
        }

        private void RemoveKeyText(KeyEntry key)
        {
            if (key.Owner is not { } owner)
            {
                Replace(index.LineStart(key.KeyValue.Span.Start.Offset), index.LineEnd(TomlFileIndex.End(key.KeyValue.Value!)), "");
                return;
            }
            var items = Enumerable.Range(0, owner.Items.ChildrenCount).Select(at => owner.Items.GetChild(at)!).ToList();
            int position = items.FindIndex(item => item.KeyValue == key.KeyValue);
            InlineTableItemSyntax item = items[position];
            if (items.Count == 1)
            {
                Replace(owner.OpenBrace!.Span.Start.Offset, TomlFileIndex.End(owner.CloseBrace!), "{}");
            }
            else if (position < items.Count - 1)
            {
                // "a = 1, b = 2" without a: up to the next key.
                Replace(item.KeyValue!.Span.Start.Offset, items[position + 1].KeyValue!.Span.Start.Offset, "");
            }
            else
            {
                // Without the last one: from the end of the one before (its comma goes too).
                Replace(TomlFileIndex.End(items[position - 1].KeyValue!.Value!), TomlFileIndex.End(item.KeyValue!.Value!), "");
            }
        }

        public string? AddTable(AddTable edit)
        {
            string path = edit.PathText;
            if (index.TablesByPath.ContainsKey(path) || index.Keys.ContainsKey(path))
            {
                return "the file has it already: edit the file itself";
            }
            IReadOnlyList<PathStep> parent = edit.Path.Take(edit.Path.Count - 1).ToList();
            string kind = PathStep.Join([.. parent, edit.Path[^1] with { Index = null }]);
            if (index.Keys.ContainsKey(kind))
            {
                return $"{kind} is written as one value in the file: edit the file itself";
            }
            // After the last table of its kind (the last [[site]] with its routes, the last [app.NAME]), else after its
            // parent's tables, else at the end of the file.
            HeaderTable? after = Subtree(kind).LastOrDefault() ?? (parent.Count == 0 ? null : Subtree(PathStep.Join(parent)).LastOrDefault());
            if (after is null && parent.Any(step => step.Index is not null))
            {
                return NotInFile(parent, 0);
            }
            Insert(after?.End ?? Text.Length, "\n" + edit.Text);
            return null;
        }

        public string? RemoveTable(string path)
        {
            if (index.Keys.TryGetValue(path, out KeyEntry? written))
            {
                RemoveKeyText(written);
                return null;
            }
            List<HeaderTable> tables = Subtree(path).ToList();
            List<KeyEntry> elsewhere = index.Keys.Values
                .Where(key => key.Path.StartsWith(path + ".", StringComparison.Ordinal) && !tables.Contains(key.Table) && key.Owner is null)
                .ToList();
            foreach (KeyEntry key in elsewhere.Where(key => !elsewhere.Any(other => key.Path.StartsWith(other.Path + ".", StringComparison.Ordinal))))
            {
                RemoveKeyText(key);
            }
            // Runs of the subtree's tables one after another go in one piece, with the comments between them.
            for (int at = 0; at < index.Tables.Count; at++)
            {
                if (!tables.Contains(index.Tables[at]))
                {
                    continue;
                }
                int first = at;
                while (at + 1 < index.Tables.Count && tables.Contains(index.Tables[at + 1]))
                {
                    at++;
                }
                RemoveLines(index.Tables[first].Start, index.Tables[at].End, previousEnd: first == 0 ? 0 : index.Tables[first - 1].End);
            }
            return null;
        }

        /// <summary>Removes whole lines, with the comment lines right above them and one blank line before them.</summary>
        private void RemoveLines(int start, int end, int previousEnd)
        {
            while (start > previousEnd && index.LineStart(start - 1) >= previousEnd && Text[index.LineStart(start - 1)..(start - 1)].TrimStart().StartsWith('#'))
            {
                start = index.LineStart(start - 1);
            }
            if (start >= 2 && start - 1 > previousEnd && Text[start - 1] == '\n' && Text[start - 2] == '\n')
            {
                start--;
            }
            Replace(start, end, "");
        }

        /// <summary>The file's tables at <paramref name="path"/> and under it, in order.</summary>
        private IEnumerable<HeaderTable> Subtree(string path) => index.Tables.Where(table => table.Path.Length > 0 && (table.Path == path
            || table.Path.StartsWith(path + ".", StringComparison.Ordinal) || table.Path.StartsWith(path + "[", StringComparison.Ordinal)));

        private string Indentation(HeaderTable table)
        {
            if (table.End == 0)
            {
                return "";
            }
            int lineStart = index.LineStart(table.End - 1);
            int indent = lineStart;
            while (indent < Text.Length && Text[indent] is ' ' or '\t')
            {
                indent++;
            }
            return Text[lineStart..indent];
        }

        private void Replace(int start, int end, string text) => _changes.Add((start, end - start, text));

        private void Insert(int at, string text) =>
            _changes.Add((at, 0, at > 0 && at <= Text.Length && Text[at - 1] != '\n' ? "\n" + text : text));

        public bool TryFinish([NotNullWhen(true)] out string? edited, [NotNullWhen(false)] out string? error)
        {
            foreach (var (header, block) in _newTables)
            {
                Insert(Text.Length, "\n" + block);
            }
            // Stable by offset: insertions at one place keep the order they were made in.
            var ordered = _changes.Select((change, order) => (change, order)).OrderBy(one => one.change.Start).ThenBy(one => one.order).ToList();
            var output = new StringBuilder(Text.Length + 256);
            int copied = 0;
            foreach (var ((start, length, insert), _) in ordered)
            {
                if (start < copied)
                {
                    edited = null;
                    error = "the change touches one place of the file twice: edit the file itself";
                    return false;
                }
                output.Append(Text, copied, start - copied).Append(insert);
                copied = start + length;
            }
            output.Append(Text, copied, Text.Length - copied);
            edited = output.ToString();
            error = null;
            return true;
        }
    }
}
