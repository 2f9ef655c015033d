"""Lark grammar for the Cosmos DB for NoSQL query language subset the emulator understands.

The grammar follows the syntax pages under learn.microsoft.com "Azure Cosmos DB for NoSQL query"
(SELECT, FROM, WHERE, ORDER BY, OFFSET LIMIT, keywords, scalar expressions, operators). It also
*parses* constructs the emulator does not evaluate (JOIN, GROUP BY, subqueries, EXISTS, ARRAY(...),
UDF calls) so that the compiler can reject them with a precise "Unsupported construct: ..."
message instead of a generic syntax error.

Keywords are case-insensitive, as in the service. The grammar is LALR(1) with lark's contextual
lexer, so a keyword may still be used as a property name after a dot (``c.value``, ``c.order``).
"""

from __future__ import annotations

GRAMMAR = r"""
?start: query

query: select_clause from_clause? where_clause? group_by_clause? order_by_clause? offset_limit_clause?

select_clause: SELECT distinct? top? selection
             | SELECT top distinct selection
distinct: DISTINCT
top: TOP count_value
?count_value: INT -> int_count
            | PARAM -> param_count

selection: "*"                              -> select_star
         | VALUE expr (AS? IDENT)?          -> select_value
         | select_item ("," select_item)*   -> select_list
select_item: expr (AS? IDENT)?

from_clause: FROM from_source join_clause*
from_source: path_expr (AS? IDENT)?         -> from_path
           | IDENT IN path_expr             -> from_in
join_clause: JOIN from_source

where_clause: WHERE expr
group_by_clause: GROUP BY expr ("," expr)*
order_by_clause: ORDER BY order_item ("," order_item)*
               | ORDER BY RANK expr             -> order_by_rank
order_item: expr sort_dir?
sort_dir: ASC | DESC
offset_limit_clause: OFFSET count_value LIMIT count_value

?path_expr: IDENT                           -> var
          | path_expr "." IDENT             -> member
          | path_expr "[" expr "]"          -> index

?expr: ternary
?ternary: coalesce
        | coalesce "?" expr ":" ternary     -> conditional
?coalesce: or_expr
         | coalesce "??" or_expr            -> coalesce
?or_expr: and_expr
        | or_expr OR and_expr               -> or_
?and_expr: not_expr
         | and_expr AND not_expr            -> and_
?not_expr: comparison
         | NOT not_expr                     -> not_
?comparison: concat
           | comparison COMP_OP concat                      -> compare
           | concat NOT? IN "(" expr_list ")"               -> in_
           | concat NOT? BETWEEN concat AND concat          -> between
           | concat NOT? LIKE concat (ESCAPE STRING)?       -> like
?concat: additive
       | concat "||" additive               -> str_concat
?additive: multiplicative
         | additive ADD_OP multiplicative   -> arith
?multiplicative: unary
               | multiplicative MUL_OP unary  -> arith
?unary: postfix
      | ADD_OP unary                        -> unary
      | BITWISE_NOT unary                   -> bitwise
?postfix: primary
        | postfix "." IDENT                 -> member
        | postfix "[" expr "]"              -> index
        | postfix "." IDENT "(" [expr_list] ")" -> method_call
?primary: IDENT                             -> var
        | PARAM                             -> param
        | literal
        | "(" expr ")"
        | IDENT "(" [expr_list] ")"         -> func_call
        | "{" [obj_prop ("," obj_prop)*] "}" -> object_lit
        | "[" [expr_list] "]"               -> array_lit
        | "(" query ")"                     -> subquery
        | EXISTS "(" query ")"              -> exists
        | ARRAY "(" query ")"               -> array_subquery
obj_prop: (IDENT | STRING) ":" expr
expr_list: expr ("," expr)*

?literal: NUMBER                            -> number
        | STRING                            -> string
        | TRUE                              -> true
        | FALSE                             -> false
        | NULL                              -> null
        | UNDEFINED                         -> undefined

SELECT: "SELECT"i
DISTINCT: "DISTINCT"i
TOP: "TOP"i
VALUE: "VALUE"i
AS: "AS"i
FROM: "FROM"i
IN: "IN"i
JOIN: "JOIN"i
WHERE: "WHERE"i
GROUP: "GROUP"i
BY: "BY"i
ORDER: "ORDER"i
ASC: "ASC"i
DESC: "DESC"i
RANK: "RANK"i
OFFSET: "OFFSET"i
LIMIT: "LIMIT"i
OR: "OR"i
AND: "AND"i
NOT: "NOT"i
BETWEEN: "BETWEEN"i
LIKE: "LIKE"i
ESCAPE: "ESCAPE"i
EXISTS: "EXISTS"i
ARRAY: "ARRAY"i
TRUE: "true"i
FALSE: "false"i
NULL: "null"i
UNDEFINED: "undefined"i

COMP_OP: "<=" | ">=" | "<>" | "!=" | "=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%"
BITWISE_NOT: "~"
IDENT: /[A-Za-z_$][A-Za-z0-9_$]*/
PARAM: /@[A-Za-z_$][A-Za-z0-9_$]*/
INT: /[0-9]+/
NUMBER: /([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
STRING: /"(?:[^"\\]|\\.)*"/ | /'(?:[^'\\]|\\.)*'/

COMMENT: /--[^\n]*/
%ignore COMMENT
%import common.WS
%ignore WS
"""
