using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Linq.Expressions;
using System.Management.Automation;
using System.Reflection;

namespace ITwinAuth.Api;

/// <summary>
/// Puts a resource's type name in front of a PSCustomObject's own, for every item of a listing.
/// <c>TypeNames.Insert</c> copies the object's type-name list and rebuilds its key each time; PowerShell
/// itself gives objects of one type one shared, read-only list, which it copies only when someone
/// changes it. This does the same through the internal <c>PSObject.InternalTypeNames</c>: the one
/// place that does. If that member is missing, or the stamp does not read back as expected when it is
/// first used, every item gets <c>TypeNames.Insert</c> instead (the same result, a little slower).
/// </summary>
internal static class TypeNameStamp
{
    private static readonly string[] CustomObjectNames = { typeof(PSCustomObject).FullName!, typeof(object).FullName! };
    private static readonly Func<string, object>? MakeShared = SharedListMaker();
    private static readonly Action<PSObject, object>? SetShared = SharedListSetter();
    private static readonly ConcurrentDictionary<string, object> Shared = new(StringComparer.Ordinal);
    private static readonly bool Fast = SelfTest();

    /// <summary>Gives a PSCustomObject <paramref name="typeName"/> in front of its own type names.</summary>
    public static void Apply(PSObject item, string typeName)
    {
        if (Fast)
            SetShared!(item, Shared.GetOrAdd(typeName, MakeShared!));
        else
            item.TypeNames.Insert(0, typeName);
    }

    private static PropertyInfo? InternalTypeNames =>
        typeof(PSObject).GetProperty("InternalTypeNames", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>A read-only ConsolidatedString of the type name and PSCustomObject's names.</summary>
    private static Func<string, object>? SharedListMaker()
    {
        var listType = InternalTypeNames?.PropertyType;
        var constructor = listType?.GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null,
            new[] { typeof(System.Collections.Generic.IEnumerable<string>), typeof(bool) }, null);
        if (constructor is null) return null;
        return typeName => constructor.Invoke(new object[] { new[] { typeName }.Concat(CustomObjectNames).ToArray(), true });
    }

    private static Action<PSObject, object>? SharedListSetter()
    {
        try
        {
            var property = InternalTypeNames;
            if (property?.SetMethod is null) return null;
            var item = Expression.Parameter(typeof(PSObject));
            var list = Expression.Parameter(typeof(object));
            return Expression.Lambda<Action<PSObject, object>>(
                Expression.Assign(Expression.Property(item, property), Expression.Convert(list, property.PropertyType)), item, list).Compile();
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>The shared list reads back as the type names, and changing one object's names leaves
    /// another's alone (PowerShell copies a read-only list before changing it).</summary>
    private static bool SelfTest()
    {
        if (MakeShared is null || SetShared is null) return false;
        try
        {
            const string probe = "ITwinAuth.Api.TypeNameStampProbe";
            var list = MakeShared(probe);
            PSObject first = new PSObject(), second = new PSObject();
            SetShared(first, list);
            SetShared(second, list);
            first.TypeNames.Insert(0, "Changed");
            return second.TypeNames.SequenceEqual(new[] { probe }.Concat(CustomObjectNames)) &&
                   first.TypeNames.SequenceEqual(new[] { "Changed", probe }.Concat(CustomObjectNames));
        }
        catch (Exception)
        {
            return false;
        }
    }
}
