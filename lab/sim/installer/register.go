package installer

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// Where Windows Installer records a product (R: the layout every MSI
// inventory tool reads; G for the exact set of values modelled).
const (
	userDataKey     = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\UserData`
	classesProducts = `HKLM\SOFTWARE\Classes\Installer\Products`
	uninstallKey    = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	installerDir    = `C:\Windows\Installer`
	tempDir         = `C:\Windows\Temp`
	markerPath      = installerDir + `\inprogressinstallinfo.ipi`
)

// packGUID is the "compressed GUID" of the Installer registry keys:
// the first three groups reversed, then each byte of the rest with its
// hex digits swapped (R: widely documented by MSI tooling). "" if g is not a GUID.
func packGUID(g string) string {
	g = strings.Trim(strings.ToUpper(g), "{}")
	parts := strings.Split(g, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return ""
	}
	rev := func(s string) string {
		b := []byte(s)
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return string(b)
	}
	var b strings.Builder
	b.WriteString(rev(parts[0]) + rev(parts[1]) + rev(parts[2]))
	rest := parts[3] + parts[4]
	for i := 0; i+1 < len(rest); i += 2 {
		b.WriteByte(rest[i+1])
		b.WriteByte(rest[i])
	}
	return b.String()
}

// product is a registered product, as the engine finds it.
type product struct {
	code, packageCode, localPackage string
	version                         string  // DisplayVersion
	sid                             win.SID // S-1-5-18 for per-machine
}

func (p product) perMachine() bool { return p.sid == win.SIDSystem }

// productsKey is where the advertised product (with its package code) lives.
func productsKey(sid win.SID, packed string) string {
	if sid == win.SIDSystem {
		return classesProducts + `\` + packed
	}
	return `HKU\` + string(sid) + `\Software\Microsoft\Installer\Products\` + packed
}

func installPropsKey(sid win.SID, packed string) string {
	return userDataKey + `\` + string(sid) + `\Products\` + packed + `\InstallProperties`
}

// findProduct looks for code registered per-user for user, then per-machine.
func findProduct(m *model.Machine, code string, user win.SID) (product, bool) {
	packed := packGUID(code)
	if packed == "" {
		return product{}, false
	}
	sys := win.SystemToken()
	for _, sid := range []win.SID{user, win.SIDSystem} {
		if sid == "" {
			continue
		}
		lp, err := m.Registry().GetValue(sys, installPropsKey(sid, packed), "LocalPackage")
		if err != nil {
			continue
		}
		pc, _ := m.Registry().GetValue(sys, productsKey(sid, packed), "PackageCode")
		v, _ := m.Registry().GetValue(sys, installPropsKey(sid, packed), "DisplayVersion")
		return product{code: strings.ToUpper(code), packageCode: unpackGUID(pc.Str), localPackage: lp.Str, version: v.Str, sid: sid}, true
	}
	return product{}, false
}

// unpackGUID is packGUID's inverse ({...} form); packing is its own inverse
// on the digits.
func unpackGUID(p string) string {
	if len(p) != 32 {
		return ""
	}
	u := packGUID(p[0:8] + "-" + p[8:12] + "-" + p[12:16] + "-" + p[16:20] + "-" + p[20:32])
	if u == "" {
		return ""
	}
	return "{" + u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:] + "}"
}

// cachedPackageName is the cached copy's name under C:\Windows\Installer:
// random hex on Windows (R), derived from the codes here so runs repeat (G).
func cachedPackageName(productCode, packageCode string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(productCode + packageCode)))
	return fmt.Sprintf(`%s\%x.msi`, installerDir, h[:4])
}

// registration is where this run registers the product.
func (r *run) registration() (sid win.SID, arp string) {
	sid = r.req.Token.User
	arp = `HKU\` + string(sid) + `\Software\Microsoft\Windows\CurrentVersion\Uninstall\` + r.props["ProductCode"]
	if r.perMachine {
		sid = win.SIDSystem
		arp = `HKLM\` + uninstallKey + `\` + r.props["ProductCode"]
		if !r.pkg.x64 { // a 32-bit package's ARP entry (D: registry redirector)
			arp = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\` + r.props["ProductCode"]
		}
	}
	return sid, arp
}

// register caches the package and records the product, as the service
// (LocalSystem) does at RegisterProduct/PublishProduct.
func (r *run) register() bool {
	sys := win.SystemToken()
	code := r.props["ProductCode"]
	packed := packGUID(code)
	sid, arp := r.registration()
	cached := cachedPackageName(code, r.pkg.packageCode)
	data, err := r.m.FS().ReadFile(win.SystemToken(), r.pkgPath)
	if err == nil {
		err = r.m.FS().WriteFile(sys, cached, data)
	}
	if err != nil {
		r.raise(MsgFileWrite, strconv.Itoa(int(model.Code(err))), cached)
		return false
	}
	r.undo = append(r.undo, func() { _ = r.m.FS().Remove(sys, cached) })
	r.log.s("Executing op: ProductRegister(UpgradeCode=%s,VersionString=%s,,,,InstallSource=%s\\,,Publisher=%s,,,,,,,,,,,,)",
		r.props["UpgradeCode"], r.props["ProductVersion"], parentDir(r.pkgPath), r.props["Manufacturer"])
	date := r.m.Now().UTC().Format("20060102")
	keys := map[string][]model.Value{
		installPropsKey(sid, packed): {
			model.SZ("LocalPackage", cached), model.SZ("DisplayName", r.props["ProductName"]),
			model.SZ("DisplayVersion", r.props["ProductVersion"]), model.SZ("Publisher", r.props["Manufacturer"]),
			model.SZ("InstallDate", date), model.SZ("UninstallString", "MsiExec.exe /X"+code),
			model.SZ("InstallSource", parentDir(r.pkgPath)+`\`), model.DWORD("WindowsInstaller", 1)},
		productsKey(sid, packed): {
			model.SZ("ProductName", r.props["ProductName"]), model.SZ("PackageCode", packGUID(r.pkg.packageCode)),
			model.DWORD("Language", uint32(atoi(r.props["ProductLanguage"])))},
		// The source list: where a maintenance run looks for the package
		// when it needs the source (D: "Source List"; LastUsedSource is
		// type;index;source, n a network or local folder; the Media entry G).
		productsKey(sid, packed) + `\SourceList`: {
			model.SZ("PackageName", r.pkgPath[strings.LastIndexByte(r.pkgPath, '\\')+1:]),
			model.ExpandSZ("LastUsedSource", "n;1;"+parentDir(r.pkgPath)+`\`)},
		productsKey(sid, packed) + `\SourceList\Net`:   {model.ExpandSZ("1", parentDir(r.pkgPath)+`\`)},
		productsKey(sid, packed) + `\SourceList\Media`: {model.SZ("1", ";")},
		arp: {
			model.SZ("DisplayName", r.props["ProductName"]), model.SZ("DisplayVersion", r.props["ProductVersion"]),
			model.SZ("Publisher", r.props["Manufacturer"]), model.SZ("InstallDate", date),
			model.ExpandSZ("UninstallString", "MsiExec.exe /X"+code), model.ExpandSZ("ModifyPath", "MsiExec.exe /I"+code),
			model.DWORD("WindowsInstaller", 1)},
	}
	for _, c := range r.pkg.compOrder {
		if r.componentAction(c) == stateLocal && packGUID(r.pkg.comps[c].guid) != "" {
			k := userDataKey + `\` + string(sid) + `\Components\` + packGUID(r.pkg.comps[c].guid)
			keys[k] = []model.Value{model.SZ(packed, r.formatOne("#"+r.pkg.comps[c].keyPath))}
		}
	}
	for _, k := range sortedKeys(keys) {
		created := missingKeys(r.m, k)
		if err := r.m.Registry().CreateKey(sys, k); err != nil {
			r.raise(MsgFileWrite, strconv.Itoa(int(model.Code(err))), k)
			return false
		}
		for _, v := range keys[k] {
			if err := r.m.Registry().SetValue(sys, k, v); err != nil {
				r.raise(MsgFileWrite, strconv.Itoa(int(model.Code(err))), k)
				return false
			}
		}
		r.undo = append(r.undo, func() {
			_ = r.m.Registry().DeleteKey(sys, k)
			if len(created) > 0 {
				pruneKeys(r.m, parentKey(k))
			}
		})
	}
	return true
}

// unregister removes what register wrote.
func (r *run) unregister() {
	sys := win.SystemToken()
	p := r.installed
	packed := packGUID(p.code)
	sid, arp := r.registration()
	r.log.s("Executing op: ProductUnregister(UpgradeCode=%s,)", r.props["UpgradeCode"])
	keys := []string{installPropsKey(sid, packed), productsKey(sid, packed), arp}
	for _, c := range r.pkg.compOrder {
		if g := packGUID(r.pkg.comps[c].guid); g != "" {
			k := userDataKey + `\` + string(sid) + `\Components\` + g
			_ = r.m.Registry().DeleteValue(sys, k, packed)
			pruneKeys(r.m, k)
		}
	}
	for _, k := range keys {
		_ = r.m.Registry().DeleteKey(sys, k)
		pruneKeys(r.m, parentKey(k))
	}
	_ = r.m.FS().Remove(sys, p.localPackage)
}

func parentKey(k string) string {
	if i := strings.LastIndexByte(k, '\\'); i > 0 {
		return k[:i]
	}
	return k
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
