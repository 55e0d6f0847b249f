//! Walks over the trie: forward match of a published subject (Go
//! `matchLevel` / `matchLevelForAny`), reverse match (Go
//! `reverseMatchLevel` / `getAllNodes`), listing and depth.
//!
//! Walks hand each matching node to a visitor, which may stop the walk
//! early (`has_interest`). Nothing here allocates except the visitor.

use std::ops::ControlFlow;

use bytes::Bytes;

use super::node::{Level, Node};
use crate::subject::{FWC, PWC, TSEP};

/// Visits every node whose subscriptions match the published `tokens`.
/// Published tokens are taken literally: a published `*` only meets stored
/// wildcards, exactly like Go. `tokens` must be non-empty.
pub(crate) fn match_level<'a, T, F>(mut level: &'a Level<T>, tokens: &[&[u8]], visit: &mut F) -> ControlFlow<()>
where
    T: Copy + Ord,
    F: FnMut(&'a Node<T>) -> ControlFlow<()>,
{
    let mut pwc: Option<&'a Node<T>> = None;
    let mut node: Option<&'a Node<T>> = None;
    for (i, token) in tokens.iter().enumerate() {
        if let Some(fwc) = level.fwc.as_deref() {
            visit(fwc)?;
        }
        pwc = level.pwc.as_deref();
        if let Some(next) = pwc.and_then(|p| p.next.as_deref()) {
            match_level(next, &tokens[i + 1..], visit)?;
        }
        node = level.nodes.get(*token);
        match node.and_then(|n| n.next.as_deref()) {
            Some(next) => level = next,
            // More tokens but nowhere to go: only the wildcards seen so far matched.
            None if i + 1 < tokens.len() => return ControlFlow::Continue(()),
            None => {}
        }
    }
    if let Some(node) = node {
        visit(node)?;
    }
    if let Some(pwc) = pwc {
        visit(pwc)?;
    }
    ControlFlow::Continue(())
}

/// Go `reverseMatchLevel`: visits the nodes of stored subjects that the
/// (possibly wildcard) `tokens` would match. `level` is `None` where Go would
/// hold an empty level. A node may be visited more than once; as in Go, a
/// stored `*` reached at the end hands back `node` (the node the walk came
/// from), not the `*` node itself.
pub(crate) fn reverse_match_level<'a, T, F>(level: Option<&'a Level<T>>, tokens: &[&[u8]], mut node: Option<&'a Node<T>>, visit: &mut F)
where
    T: Copy + Ord,
    F: FnMut(&'a Node<T>),
{
    let Some(mut level) = level else {
        if let (true, Some(node)) = (tokens.is_empty(), node) {
            visit(node);
        }
        return;
    };
    for (i, token) in tokens.iter().enumerate() {
        let rest = &tokens[i + 1..];
        match *token {
            [FWC] => return all_nodes(level, visit),
            [PWC] => {
                for child in level.nodes.values() {
                    reverse_match_level(child.next.as_deref(), rest, Some(child), visit);
                }
                if let Some(pwc) = level.pwc.as_deref() {
                    reverse_match_level(pwc.next.as_deref(), rest, node, visit);
                }
                if level.fwc.is_some() {
                    all_nodes(level, visit);
                }
                return;
            }
            _ => {}
        }
        // A stored `>` at this position matches whatever follows.
        if level.fwc.is_some() {
            return all_nodes(level, visit);
        }
        if let Some(pwc) = level.pwc.as_deref() {
            reverse_match_level(pwc.next.as_deref(), rest, node, visit);
        }
        node = level.nodes.get(*token);
        let Some(found) = node else {
            break;
        };
        match found.next.as_deref() {
            Some(next) => level = next,
            // Go's empty level: any further token finds nothing.
            None if !rest.is_empty() => return,
            None => {}
        }
    }
    if let Some(node) = node {
        visit(node);
    }
}

/// Go `getAllNodes`: the wildcard nodes of `level`, and every literal node
/// at or below it (Go does not descend below wildcard nodes here).
fn all_nodes<'a, T: Copy + Ord, F: FnMut(&'a Node<T>)>(level: &'a Level<T>, visit: &mut F) {
    if let Some(pwc) = level.pwc.as_deref() {
        visit(pwc);
    }
    if let Some(fwc) = level.fwc.as_deref() {
        visit(fwc);
    }
    for node in level.nodes.values() {
        visit(node);
        if let Some(next) = node.next.as_deref() {
            all_nodes(next, visit);
        }
    }
}

/// Calls `emit(subject, queue, value)` for every stored subscription.
pub(crate) fn collect_all<T: Copy + Ord>(level: &Level<T>, path: &mut Vec<u8>, emit: &mut impl FnMut(&[u8], Option<&Bytes>, T)) {
    let children = level
        .nodes
        .iter()
        .map(|(token, node)| (token.as_ref(), node))
        .chain(level.pwc.as_deref().map(|n| (&[PWC][..], n)))
        .chain(level.fwc.as_deref().map(|n| (&[FWC][..], n)));
    for (token, node) in children {
        let len = path.len();
        if len > 0 {
            path.push(TSEP);
        }
        path.extend_from_slice(token);
        for value in node.psubs.iter() {
            emit(path, None, *value);
        }
        for group in &node.qsubs {
            for value in group.members.iter() {
                emit(path, Some(&group.name), *value);
            }
        }
        if let Some(next) = node.next.as_deref() {
            collect_all(next, path, emit);
        }
        path.truncate(len);
    }
}

/// Go `visitLevel`: the depth of the deepest subject.
pub(crate) fn visit_level<T: Copy + Ord>(level: &Level<T>, depth: usize) -> usize {
    if level.num_nodes() == 0 {
        return depth;
    }
    let depth = depth + 1;
    let children = level.nodes.values().chain(level.pwc.as_deref()).chain(level.fwc.as_deref());
    children
        .filter_map(|n| n.next.as_deref())
        .map(|next| visit_level(next, depth))
        .fold(depth, usize::max)
}
