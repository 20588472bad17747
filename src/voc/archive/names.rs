//! The tree of an archive's member names: a hash map from each name to its node (a folder
//! lists its children, a file holds what is kept of it), so that a lookup by the pipeline's
//! threads costs one hash, and a folder's listing is its own children only.

use std::collections::HashMap;

use super::Data;

/// A name in a folder.
#[derive(Debug, Clone)]
pub(super) struct Child {
    pub name: Box<str>,
    pub dir: bool,
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Dir(Vec<Child>),
    File(Data),
}

/// Member names (plain, `/`-separated, no leading or trailing `/`) and their nodes; the root
/// (`""`) is always a folder.
#[derive(Debug)]
pub(super) struct Names {
    nodes: HashMap<Box<str>, Node>,
}

impl Default for Names {
    fn default() -> Names {
        let mut nodes = HashMap::new();
        nodes.insert("".into(), Node::Dir(Vec::new()));
        Names { nodes }
    }
}

fn parent_and_last(name: &str) -> (&str, &str) {
    name.rsplit_once('/').unwrap_or(("", name))
}

impl Names {
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name)
    }

    /// The number of names (folders included, the root not).
    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Records folder `name` and the folders holding it. Returns the names that were files
    /// and are now folders (a name used as both): the caller refuses them.
    pub fn add_dir(&mut self, name: &str) -> Vec<Box<str>> {
        let mut clashes = Vec::new();
        let mut end = 0;
        while end < name.len() {
            end = name[end + 1..]
                .find('/')
                .map_or(name.len(), |i| end + 1 + i);
            let dir = &name[..end];
            match self.nodes.get(dir) {
                Some(Node::Dir(_)) => continue,
                Some(Node::File(_)) => {
                    self.remove(dir);
                    clashes.push(dir.into());
                }
                None => {}
            }
            self.nodes.insert(dir.into(), Node::Dir(Vec::new()));
            self.link(dir, true);
        }
        clashes
    }

    /// Records file `name` (not yet a name), with the folders holding it; see
    /// [`Names::add_dir`] for the returned names.
    pub fn add_file(&mut self, name: Box<str>, data: Data) -> Vec<Box<str>> {
        let (parent, _) = parent_and_last(&name);
        let clashes = self.add_dir(parent);
        self.link(&name, false);
        self.nodes.insert(name, Node::File(data));
        clashes
    }

    /// Adds `name` to its parent folder's children (the parent exists).
    fn link(&mut self, name: &str, dir: bool) {
        let (parent, last) = parent_and_last(name);
        if let Some(Node::Dir(children)) = self.nodes.get_mut(parent) {
            children.push(Child {
                name: last.into(),
                dir,
            });
        }
    }

    /// Removes file `name` (a folder is never removed).
    pub fn remove(&mut self, name: &str) {
        if !matches!(self.nodes.get(name), Some(Node::File(_))) {
            return;
        }
        self.nodes.remove(name);
        let (parent, last) = parent_and_last(name);
        if let Some(Node::Dir(children)) = self.nodes.get_mut(parent) {
            children.retain(|c| &*c.name != last);
        }
    }
}
