package installer

import (
	"errors"
	"slices"
	"strings"

	"github.com/msilab/msilab/msi"
)

// pkg is what the engine reads from a package's tables.
type pkg struct {
	db          *msi.Package
	packageCode string
	x64         bool // template "x64;..." or "Intel64;..."
	props       map[string]string
	dirs        map[string]dirRow
	comps       map[string]compRow
	compOrder   []string
	files       []fileRow
	regs        []regRow
	features    []featRow
	featComps   map[string][]string
	cas         map[string]caRow
	execSeq     []msi.Action
	launch      []launchRow
	data        map[string][]byte // file key -> content, from the cabinets
	errorTable  bool              // the package has an Error table
}

type dirRow struct{ parent, defaultDir string }

type compRow struct {
	name, guid, dir, condition, keyPath string
	attrs                               int
}

// compAttr64 is msidbComponentAttributes64bit (D: Component table).
const compAttr64 = 0x100

type fileRow struct {
	key, comp, name string
	size            int
}

type regRow struct {
	key, path, name, value, comp string
	root                         int
}

type featRow struct {
	name, parent string
	level        int
}

type caRow struct {
	name, source, target string
	typ                  int
}

type launchRow struct{ condition, description string }

// loadPackage reads the tables the engine uses. A malformed package is an
// error (the caller answers 1620).
func loadPackage(db *msi.Package) (*pkg, error) {
	p := &pkg{db: db, props: map[string]string{}, dirs: map[string]dirRow{}, comps: map[string]compRow{},
		featComps: map[string][]string{}, cas: map[string]caRow{}}
	sum, err := db.Summary()
	if err != nil {
		return nil, err
	}
	p.packageCode = sum.PackageCode
	tmpl := strings.ToLower(strings.SplitN(sum.Template, ";", 2)[0])
	p.x64 = tmpl == "x64" || tmpl == "intel64" || tmpl == "arm64"
	err = errors.Join(
		eachRow(db, "Property", func(r row) { p.props[r.s("Property")] = r.s("Value") }),
		eachRow(db, "Directory", func(r row) {
			p.dirs[r.s("Directory")] = dirRow{parent: r.s("Directory_Parent"), defaultDir: r.s("DefaultDir")}
		}),
		eachRow(db, "Component", func(r row) {
			c := compRow{name: r.s("Component"), guid: r.s("ComponentId"), dir: r.s("Directory_"),
				condition: r.s("Condition"), keyPath: r.s("KeyPath"), attrs: r.i("Attributes")}
			p.comps[c.name] = c
			p.compOrder = append(p.compOrder, c.name)
		}),
		eachRow(db, "File", func(r row) {
			p.files = append(p.files, fileRow{key: r.s("File"), comp: r.s("Component_"), name: longName(r.s("FileName")), size: r.i("FileSize")})
		}),
		eachRow(db, "Registry", func(r row) {
			p.regs = append(p.regs, regRow{key: r.s("Registry"), root: r.i("Root"), path: r.s("Key"), name: r.s("Name"), value: r.s("Value"), comp: r.s("Component_")})
		}),
		eachRow(db, "Feature", func(r row) {
			p.features = append(p.features, featRow{name: r.s("Feature"), parent: r.s("Feature_Parent"), level: r.i("Level")})
		}),
		eachRow(db, "FeatureComponents", func(r row) {
			p.featComps[r.s("Feature_")] = append(p.featComps[r.s("Feature_")], r.s("Component_"))
		}),
		eachRow(db, "CustomAction", func(r row) {
			p.cas[r.s("Action")] = caRow{name: r.s("Action"), typ: r.i("Type"), source: r.s("Source"), target: r.s("Target")}
		}),
		eachRow(db, "LaunchCondition", func(r row) {
			p.launch = append(p.launch, launchRow{condition: r.s("Condition"), description: r.s("Description")})
		}),
	)
	if err != nil {
		return nil, err
	}
	_, err = db.Table("Error")
	p.errorTable = err == nil
	if p.execSeq, err = db.Sequence("InstallExecuteSequence"); err != nil && !errors.Is(err, msi.ErrNoTable) {
		return nil, err
	}
	if len(p.files) > 0 {
		if p.data, err = db.FileData(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// row is one table row by column name.
type row map[string]msi.Value

func (r row) s(col string) string { return r[col].String() }
func (r row) i(col string) int    { return r[col].Int }

// eachRow calls fn for each row of table; a table the package lacks has no rows.
func eachRow(db *msi.Package, table string, fn func(row)) error {
	t, err := db.Table(table)
	if errors.Is(err, msi.ErrNoTable) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, vals := range t.Rows {
		r := make(row, len(t.Columns))
		for i, c := range t.Columns {
			if i < len(vals) {
				r[c.Name] = vals[i]
			}
		}
		fn(r)
	}
	return nil
}

// longName is the long part of a "short|long" file or folder name.
func longName(s string) string {
	if i := strings.IndexByte(s, '|'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
