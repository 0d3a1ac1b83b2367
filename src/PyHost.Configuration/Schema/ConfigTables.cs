using PyHost.Configuration.Keys;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Schema;

/// <summary>Every table reachable from the root, in the order the reference lists them.</summary>
public static class ConfigTables
{
    public static IConfigTable Root => PyHostConfig.Table;

    public static IReadOnlyList<IConfigTable> All()
    {
        var tables = new List<IConfigTable>();
        Collect(Root, tables);
        return tables;
    }

    private static void Collect(IConfigTable table, List<IConfigTable> tables)
    {
        if (tables.Contains(table))
        {
            return;
        }
        tables.Add(table);
        foreach (IConfigKey key in table.Keys)
        {
            if (key.Type.Table is { } child)
            {
                Collect(child, tables);
            }
        }
    }

    /// <summary>Every key path the reader accepts, as the schema writes them: "app.*.workers", "site[].route[].path".</summary>
    public static IReadOnlyList<string> KeyPaths()
    {
        var paths = new List<string>();
        Walk(Root, "", paths, []);
        return paths;
    }

    private static void Walk(IConfigTable table, string prefix, List<string> paths, HashSet<IConfigTable> seen)
    {
        if (!seen.Add(table))
        {
            return;
        }
        foreach (IConfigKey key in table.Keys)
        {
            string path = prefix.Length == 0 ? key.Name : $"{prefix}.{key.Name}";
            paths.Add(path);
            if (key.Type.Table is { } child)
            {
                string childPrefix = path + (key.Type is INestedPath nested ? nested.ChildPathSuffix : "");
                Walk(child, childPrefix, paths, seen);
            }
        }
        seen.Remove(table);
    }
}
