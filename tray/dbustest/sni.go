package dbustest

import (
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// StatusNotifierItem and dbusmenu interfaces.
const (
	ItemIface = "org.kde.StatusNotifierItem"
	MenuIface = "com.canonical.dbusmenu"
)

// Pixmap is one entry of IconPixmap: ARGB32 pixels in network byte order,
// row by row.
type Pixmap struct {
	Width, Height int32
	ARGB          []byte
}

// ToolTip is the (sa(iiay)ss) ToolTip property.
type ToolTip struct {
	IconName    string
	Icons       []Pixmap
	Title       string
	Description string
}

// ItemProps holds the StatusNotifierItem properties a panel reads.
type ItemProps struct {
	ID       string
	Title    string
	Status   string // "Passive", "Active" or "NeedsAttention"
	IconName string
	Icons    []Pixmap // IconPixmap
	ToolTip  ToolTip
	Menu     dbus.ObjectPath
}

// ReadItem reads the properties of the StatusNotifierItem at busName/path
// with one GetAll call.
func ReadItem(conn *dbus.Conn, busName string, path dbus.ObjectPath) (ItemProps, error) {
	var all map[string]dbus.Variant
	err := conn.Object(busName, path).Call("org.freedesktop.DBus.Properties.GetAll", 0, ItemIface).Store(&all)
	if err != nil {
		return ItemProps{}, fmt.Errorf("dbustest: reading %s%s: %w", busName, path, err)
	}
	var p ItemProps
	str := func(k string) string { s, _ := all[k].Value().(string); return s }
	p.ID, p.Title, p.Status, p.IconName = str("Id"), str("Title"), str("Status"), str("IconName")
	p.Menu, _ = all["Menu"].Value().(dbus.ObjectPath)
	if v, ok := all["IconPixmap"]; ok {
		if err := dbus.Store([]any{v.Value()}, &p.Icons); err != nil {
			return p, fmt.Errorf("dbustest: IconPixmap %s: %w", v.Signature(), err)
		}
	}
	if v, ok := all["ToolTip"]; ok {
		if err := dbus.Store([]any{v.Value()}, &p.ToolTip); err != nil {
			return p, fmt.Errorf("dbustest: ToolTip %s: %w", v.Signature(), err)
		}
	}
	return p, nil
}

// MenuItem is one node of a dbusmenu layout.
type MenuItem struct {
	ID          int32
	Label       string
	Enabled     bool   // "enabled", default true
	Visible     bool   // "visible", default true
	Separator   bool   // "type" == "separator"
	ToggleType  string // "checkmark", "radio" or ""
	ToggleState int32  // 1 checked, 0 unchecked, -1 indeterminate
	Props       map[string]dbus.Variant
	Children    []MenuItem
}

// Find returns the first item (depth first, including m itself) whose
// label is label.
func (m *MenuItem) Find(label string) (*MenuItem, bool) {
	if m.Label == label {
		return m, true
	}
	for i := range m.Children {
		if f, ok := m.Children[i].Find(label); ok {
			return f, true
		}
	}
	return nil, false
}

// Labels returns the labels of m's direct children, in order (separators
// as "-").
func (m *MenuItem) Labels() []string {
	l := make([]string, len(m.Children))
	for i, c := range m.Children {
		if c.Separator {
			l[i] = "-"
		} else {
			l[i] = c.Label
		}
	}
	return l
}

// VisibleLabels is Labels without the hidden children.
func (m MenuItem) VisibleLabels() []string {
	var l []string
	for i, c := range m.Children {
		if c.Visible {
			l = append(l, m.Labels()[i])
		}
	}
	return l
}

// rawLayout is the (ia{sv}av) structure of GetLayout.
type rawLayout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// GetLayout calls com.canonical.dbusmenu.GetLayout(0, -1, []) on the menu
// at busName/menuPath and returns the revision and the whole tree.
// Implementations may answer the first call shallowly (fyne.io/systray
// does); call again for submenus.
func GetLayout(conn *dbus.Conn, busName string, menuPath dbus.ObjectPath) (uint32, MenuItem, error) {
	var rev uint32
	var raw rawLayout
	err := conn.Object(busName, menuPath).Call(MenuIface+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &raw)
	if err != nil {
		return 0, MenuItem{}, fmt.Errorf("dbustest: GetLayout %s%s: %w", busName, menuPath, err)
	}
	root, err := convertLayout(raw)
	return rev, root, err
}

func convertLayout(raw rawLayout) (MenuItem, error) {
	m := MenuItem{ID: raw.ID, Enabled: true, Visible: true, Props: raw.Props}
	if v, ok := raw.Props["label"]; ok {
		m.Label, _ = v.Value().(string)
	}
	if v, ok := raw.Props["enabled"]; ok {
		m.Enabled, _ = v.Value().(bool)
	}
	if v, ok := raw.Props["visible"]; ok {
		m.Visible, _ = v.Value().(bool)
	}
	if v, ok := raw.Props["type"]; ok {
		t, _ := v.Value().(string)
		m.Separator = t == "separator"
	}
	if v, ok := raw.Props["toggle-type"]; ok {
		m.ToggleType, _ = v.Value().(string)
	}
	if v, ok := raw.Props["toggle-state"]; ok {
		switch n := v.Value().(type) {
		case int32:
			m.ToggleState = n
		case int64:
			m.ToggleState = int32(n)
		case uint32:
			m.ToggleState = int32(n)
		default:
			return m, fmt.Errorf("dbustest: item %d: toggle-state has type %s", raw.ID, v.Signature())
		}
	}
	for _, cv := range raw.Children {
		var c rawLayout
		if err := dbus.Store([]any{cv.Value()}, &c); err != nil {
			return m, fmt.Errorf("dbustest: item %d: child %s: %w", raw.ID, cv.Signature(), err)
		}
		child, err := convertLayout(c)
		if err != nil {
			return m, err
		}
		m.Children = append(m.Children, child)
	}
	return m, nil
}

// Click sends com.canonical.dbusmenu.Event(id, "clicked", <int32 0>,
// timestamp) as a panel does when the user picks a menu item.
func Click(conn *dbus.Conn, busName string, menuPath dbus.ObjectPath, id int32) error {
	return click(conn, busName, menuPath, id, 0)
}

// ClickNoReply clicks without waiting for the reply, for items such as
// Quit whose handler may end the process before it answers (the call
// would then fail with "disconnected without replying").
func ClickNoReply(conn *dbus.Conn, busName string, menuPath dbus.ObjectPath, id int32) error {
	return click(conn, busName, menuPath, id, dbus.FlagNoReplyExpected)
}

func click(conn *dbus.Conn, busName string, menuPath dbus.ObjectPath, id int32, flags dbus.Flags) error {
	err := conn.Object(busName, menuPath).Call(MenuIface+".Event", flags,
		id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix())).Err
	if err != nil {
		return fmt.Errorf("dbustest: clicking menu item %d: %w", id, err)
	}
	return nil
}
